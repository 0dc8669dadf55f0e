// placeholder; written below
