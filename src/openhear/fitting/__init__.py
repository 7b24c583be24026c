"""Fitting: audiograms and listeners, prescription rules (NAL-R, WDRC), user
adjustments, profiles."""
