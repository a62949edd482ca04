"""The Openlance command-line time tracker (see cli.py); it uses the API only."""
