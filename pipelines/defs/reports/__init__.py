"""Reports: benefit alerts and the board pack, and the monthly board cycle that builds it."""
