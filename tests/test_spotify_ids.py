import pytest

from errors import BadInputError
from spotify.ids import parse_query, parse_spotify_ref

TRACK = "4uLU6hMCjMI75M1A2tKUQC"


@pytest.mark.parametrize(
    "text",
    [
        TRACK,
        f"  {TRACK}\n",
        f"spotify:track:{TRACK}",
        f"https://open.spotify.com/track/{TRACK}",
        f"https://open.spotify.com/track/{TRACK}?si=1a2b3c4d5e6f",
        f"https://open.spotify.com/intl-de/track/{TRACK}?si=x",
        f"https://open.spotify.com/intl-pt-br/track/{TRACK}",
        f"open.spotify.com/track/{TRACK}",
        f"http://open.spotify.com/track/{TRACK}/",
        f"https://open.spotify.com/embed/track/{TRACK}",
        f"<https://open.spotify.com/track/{TRACK}>",
        f"'spotify:track:{TRACK}'",
    ],
)
def test_every_track_form_gives_the_id(text):
    query = parse_query(text)
    assert query.kind == "track"
    assert query.spotify_id == TRACK


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "Nothing to look up"),
        ("   ", "Nothing to look up"),
        ("spotify:track:", "URI"),
        ("spotify:track:abc", "22"),
        ("spotify:track:4uLU6hMCjMI75M1A2tKUQC!", "22"),
        ("spotify:album:4uLU6hMCjMI75M1A2tKUQC", "album"),
        ("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "playlist"),
        ("spotify:artist:0OdUWJ0sBjDrqHygGUXeCF", "artist"),
        ("spotify:user:bob:playlist:37i9dQZF1DXcBWIGoYBM5M", "playlist"),
        ("https://open.spotify.com/album/4uLU6hMCjMI75M1A2tKUQC", "album"),
        ("https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M?si=a", "playlist"),
        ("https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF", "artist"),
        ("https://open.spotify.com/episode/0OdUWJ0sBjDrqHygGUXeCF", "episode"),
        ("https://open.spotify.com/", "not to a track"),
        ("https://open.spotify.com/track/", "not to a track"),
        ("https://open.spotify.com/track/short", "22"),
        ("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC-extra", "22"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "not a Spotify link"),
        ("https://soundcloud.com/artist/track", "not a Spotify link"),
        ("https://spotify.link/Ab12Cd34Ef", "short link: open it"),
        ("spoti.fi/3xYzAbC", "short link: open it"),
        ("ftp://open.spotify.com.evil.com/track/4uLU6hMCjMI75M1A2tKUQC", "not a Spotify link"),
        ("spotify:", "URI"),
        ("spotify:track:4uLU6hMCjMI75M1A2tKUQC:extra", "URI"),
        ("x", "too short"),
    ],
)
def test_malformed_input_gets_a_clear_message(text, fragment):
    with pytest.raises(BadInputError) as caught:
        parse_query(text)
    assert fragment.lower() in str(caught.value).lower()


def test_text_queries_split_artist_and_title():
    query = parse_query("Motor City Drum Ensemble - Raw Cuts #3")
    assert (query.kind, query.artist, query.title) == ("text", "Motor City Drum Ensemble", "Raw Cuts #3")
    assert parse_query("Raw Cuts").title == "Raw Cuts"
    assert parse_query("Âme – Rej").artist == "Âme"  # en dash


def test_playlists_are_accepted_where_asked_for():
    query = parse_spotify_ref("https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M", allow=("track", "playlist"))
    assert (query.kind, query.spotify_id) == ("playlist", "37i9dQZF1DXcBWIGoYBM5M")


@pytest.mark.parametrize(("text", "shown"), [
    ("\\", '"\\" is too short'),
    ("https://example.com/" + "x" * 5000, '"https://example.com/' + "x" * 59 + '…" is not a Spotify link'),
    ("spotify:track:" + "a" * 5000, '"spotify:track:' + "a" * 65 + '…" does not contain'),
])
def test_regression_a_pasted_text_is_echoed_short_and_as_typed(text, shown):
    """QA: a 5,000-letter paste came back whole in the message; a backslash came back in repr form, '\\\\'."""
    with pytest.raises(BadInputError) as error:
        parse_query(text)
    assert shown in str(error.value) and len(str(error.value)) < 300


@pytest.mark.parametrize(("text", "message"), [
    ("garbage", '"garbage" is not a Spotify playlist ID, URI or link. A playlist ID is 22 letters and digits; '
                "a playlist link looks like https://open.spotify.com/playlist/…."),
    ("   ", "Nothing to look up: paste a Spotify playlist link (https://open.spotify.com/playlist/…), URI or ID."),
    ("https://example.com/x", '"https://example.com/x" is not a Spotify link: paste a Spotify playlist link '
                              "(https://open.spotify.com/playlist/…), URI or ID."),
    ("spotify:list", '"spotify:list" is not a Spotify URI of the form spotify:playlist:<22-character ID>.'),
    ("https://open.spotify.com/", '"https://open.spotify.com/" is a Spotify link but not to a playlist: open the '
                                  "playlist and copy its link."),
])
def test_regression_a_playlist_asked_for_is_named_as_a_playlist(text, message):
    """QA: `--exclude-playlist garbage` (and export's --playlist, the dashboard's destination) said 'A track ID is
    22 letters and digits, e.g. spotify:track:…'; `"   "` said 'paste a Spotify track link … or 'artist - title''."""
    with pytest.raises(BadInputError) as error:
        parse_spotify_ref(text, allow=("playlist",))
    assert str(error.value) == message
