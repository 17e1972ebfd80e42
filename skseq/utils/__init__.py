"""Utilities shared by skseq's estimators and transformers."""
