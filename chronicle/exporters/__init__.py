"""One module per family of export formats; ``chronicle.exports`` is the entry point."""
