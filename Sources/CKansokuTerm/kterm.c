int kterm_placeholder(void) { return 0; }
