// The netlink backend.
