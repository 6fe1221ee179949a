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

# The sound model's input: the pretrained musicnn front end's own log-mel (models.musicnn), 16 kHz.
MODEL_SAMPLE_RATE = 16_000  # Hz
MODEL_N_FFT = 512  # samples (32 ms)
MODEL_HOP_LENGTH = 256  # samples (16 ms, 62.5 frames per second)
MODEL_N_MELS = 96  # mel bands, 0-8 kHz
PATCH_FRAMES = 187  # model input patch: 187 frames = 3.0 s

FRONTEND_ID = f"sr{SAMPLE_RATE}-fft{N_FFT}-hop{HOP_LENGTH}-mel{N_MELS}-{int(FMIN)}-{int(FMAX)}"
MODEL_INPUT_ID = f"musicnn-sr{MODEL_SAMPLE_RATE}-fft{MODEL_N_FFT}-hop{MODEL_HOP_LENGTH}-mel{MODEL_N_MELS}"
