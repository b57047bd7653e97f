"""linli (邻里): grassroots governance through neighbourhood representatives."""

__version__ = "0.1.0"
