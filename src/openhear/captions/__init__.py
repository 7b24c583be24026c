"""Captions as documents: cues, and writers for txt, SRT, WebVTT and JSON."""
