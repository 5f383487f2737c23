"""L0: helpers of the standard library and numpy alone, used by every layer above."""
