"""JSON Schemas of the blueprint kinds, shipped inside the package as ``genplat.schemas``."""
