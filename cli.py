#!/usr/bin/env python3
"""LandGap command line: ``python cli.py COMMAND [options]`` (the commands are the ``commands`` package)."""
import sys

from commands import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
