"""Assignment's rules. Pure: no store, bus or HTTP; every instant passed in."""
