// Nothing to import: this target only provides libmnl's functions to the linker (see mnl.c).
// Swift code reaches libmnl's API through CNftables, which includes <libmnl/libmnl.h>.
