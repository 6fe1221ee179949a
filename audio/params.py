"""The one place where the audio front-end's numbers are fixed.

Every spectrogram, cache file and CNN input depends on these; change them and the
caches (`*.npy` under the audio cache) and trained CNNs must be rebuilt — the
fingerprint `FRONTEND_ID` is stored with both so stale ones are detected.
"""

SAMPLE_RATE = 22_050  # Hz, every decoded clip
CLIP_SECONDS = 30.0  # a preview's length; full tracks are cut to their representative 30 s
N_FFT = 2048  # samples per STFT frame (93 ms)
HOP_LENGTH = 512  # samples between frames (23.2 ms, 43.07 frames per second)
N_MELS = 96  # mel bands
FMIN = 30.0  # Hz
FMAX = 8_000.0  # Hz; the top of what 16 kHz sources (and many previews) carry, so models see the same band
PATCH_FRAMES = 128  # CNN input: 128 frames = 2.97 s

FRONTEND_ID = f"sr{SAMPLE_RATE}-fft{N_FFT}-hop{HOP_LENGTH}-mel{N_MELS}-{int(FMIN)}-{int(FMAX)}"
