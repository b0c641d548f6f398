// The seccomp profile the sim's runc gives a container whose pod or container asks for
// `seccompProfile: {type: RuntimeDefault}`. Modest on purpose: every syscall is allowed except those
// containerd's and Docker's default profiles keep from containers whatever their capabilities — loading
// kernel modules or a new kernel, rebooting, swap, the clocks, accounting, quotas, the kernel keyring,
// tracing other processes or reading their memory, new namespaces and mounts, eBPF, perf events,
// userfaultfd, handles to files by inode, raw I/O ports, old and obsolete calls — answered EPERM, as
// those profiles do. The real profiles are allow-lists of some 360 syscalls; this deny-list keeps the
// known-dangerous ones out and everything a Node program uses in. Unconfined (the default) and
// Localhost profiles get no filter.
const DENIED = [
  // kernel modules and kernels
  'init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms', 'kexec_load', 'kexec_file_load',
  // the machine
  'reboot', 'swapon', 'swapoff', 'acct', 'quotactl', 'quotactl_fd', 'syslog', 'nfsservctl', 'lookup_dcookie', 'uselib', 'ustat', 'sysfs', '_sysctl',
  // clocks
  'settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'clock_adjtime', 'clock_adjtime64', 'adjtimex',
  // the kernel keyring
  'add_key', 'request_key', 'keyctl',
  // other processes
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd',
  // namespaces and mounts
  'unshare', 'setns', 'mount', 'umount', 'umount2', 'pivot_root', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr',
  // eBPF, perf, userfaultfd, handles, I/O ports, vm86
  'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at', 'name_to_handle_at', 'iopl', 'ioperm', 'vm86', 'vm86old',
];

/** The OCI runtime spec's linux.seccomp for RuntimeDefault on x86-64 (and its 32-bit ABIs). */
export function runtimeDefaultSeccomp(): Record<string, unknown> {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: DENIED, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}

/** The filter a container gets for its effective seccompProfile (container's over pod's), or undefined. */
export function seccompFor(profile: { type?: string } | undefined): Record<string, unknown> | undefined {
  return profile?.type === 'RuntimeDefault' ? runtimeDefaultSeccomp() : undefined;
}
