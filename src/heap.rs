//! Handing freed memory back to the system between the phases of a large scan. A monorepo
//! scan frees most of its trees halfway (see `pipeline::assemble`), but an allocator keeps
//! freed pages for a while to reuse them, and what the next phase allocates fits few of them:
//! at 20,000 services the peak was 300 MB above the live heap. The library does not choose the
//! allocator; the binary, which does, registers how to return its free pages.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Sets how `release` returns free pages (once per process; later calls are ignored).
pub fn on_release(release: fn()) {
    let _ = RELEASE.set(release);
}

/// Trees freed at once from which their pages are worth handing back (and a scan is large): a
/// large scan's next phase reuses few of them, and handing back costs a few system calls, which
/// a fleet of small services should not pay per service.
pub const MANY: usize = 4096;

/// Called after freeing `trees` trees (or a scan's worth of facts about as many documents):
/// hands the allocator's free pages back to the system when they are many.
pub fn freed(trees: usize) {
    if trees >= MANY {
        release();
    }
}

/// Returns the allocator's free pages to the system, if the binary said how.
fn release() {
    if let Some(release) = RELEASE.get() {
        release();
    }
}
