import CNftnl

/// `strerror` text plus the symbolic name for the errnos migfw users meet most.
func errnoText(_ code: Int32) -> String {
    let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EEXIST: "EEXIST", EINVAL: "EINVAL", EBUSY: "EBUSY",
        ENOBUFS: "ENOBUFS", EMSGSIZE: "EMSGSIZE", ENOMEM: "ENOMEM", EOPNOTSUPP: "EOPNOTSUPP",
        ERANGE: "ERANGE", E2BIG: "E2BIG", ENOSPC: "ENOSPC", ERESTART: "ERESTART", EACCES: "EACCES",
        ENOTDIR: "ENOTDIR", EAGAIN: "EAGAIN",
    ]
    // Safety: strerror returns a pointer to a static or thread-local NUL-terminated string.
    let text = String(cString: strerror(code))
    if let name = names[code] { return "\(text) (\(name))" }
    return "\(text) (errno \(code))"
}
