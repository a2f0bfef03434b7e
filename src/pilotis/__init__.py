"""Pilotis: run a territorial health contract from signature to final evaluation."""
