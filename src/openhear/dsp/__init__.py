"""Signal processors for the amplifier: filterbank, compressor, gain, limiter, noise
suppression, chains."""
