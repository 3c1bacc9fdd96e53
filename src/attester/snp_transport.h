/*
 * Internal: the seam between the sev-snp attester and the kernel.
 *
 * kt_attester_opts.transport may point to one of these (tests do; real use
 * leaves it NULL). Every member may be NULL, meaning "the real thing":
 *
 *   open      open(path, O_RDWR | O_CLOEXEC); returns an fd or -errno
 *   ioctl     ioctl(fd, request, arg); returns 0 or -errno. `arg` is a
 *             struct snp_guest_request_ioctl (see snp_abi.h) whose pointers
 *             lead to the request and response structs, exactly as the
 *             kernel receives them
 *   close     close(fd)
 *   sleep_ms  the back-off sleep between retries of a busy device
 *   tsm_step  called at each step of a configfs-tsm request with the path
 *             of the report entry the attester created. A plain directory
 *             does not generate reports, so a test uses this to play the
 *             kernel's part (populate attribute files after mkdir, produce
 *             outblob after inblob is written, empty the entry before rmdir).
 *             Like open and ioctl it returns 0 or -errno: a negative return
 *             is taken as the errno of the kernel operation that the step
 *             follows (mkdir for CREATED, the
 *             privlevel/inblob writes for WRITTEN, the blob reads for READ),
 *             so tests can inject the kernel's failures; it is ignored for
 *             REMOVING.
 *
 * Every callback that can fail returns 0 (or an fd) on success and -errno on
 * failure, as the kernel does; a positive return is a bug and counts as EIO.
 *
 * The configfs root directory and the device path are the other half of the
 * seam (kt_attester_opts.configfs_root / device_path).
 */
#ifndef KT_ATTESTER_SNP_TRANSPORT_H
#define KT_ATTESTER_SNP_TRANSPORT_H

typedef enum kt_snp_tsm_step {
    KT_SNP_TSM_CREATED = 1,  /* after mkdir <root>/<name> */
    KT_SNP_TSM_WRITTEN = 2,  /* after privlevel and inblob were written */
    KT_SNP_TSM_READ = 3,     /* after outblob (and auxblob) were read */
    KT_SNP_TSM_REMOVING = 4, /* just before rmdir of the entry (every path) */
} kt_snp_tsm_step;

struct kt_snp_transport {
    void *ctx; /* passed to every callback */
    int (*open)(void *ctx, const char *path);
    int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
    void (*close)(void *ctx, int fd);
    void (*sleep_ms)(void *ctx, unsigned ms);
    int (*tsm_step)(void *ctx, const char *entry_path, kt_snp_tsm_step step);
};

typedef struct kt_snp_transport kt_snp_transport;

#endif
