"""Collectors: get_* (paginate, raise) -> transform_* (pure) per source, plus the registry."""
