"""Records and loaders: TOFU-format JSON / JSON Lines, MEOW reference release files, hub ids."""

from meow.data.records import Record, from_meow_reference, load_file, load_records, split_path, validate

__all__ = ["Record", "from_meow_reference", "load_file", "load_records", "split_path", "validate"]
