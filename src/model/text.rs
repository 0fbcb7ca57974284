//! Short scalar strings shared within a thread: a monorepo's trees repeat the same few values
//! (`apps/v1`, `TCP`, `RUN`, a base image) hundreds of thousands of times, and an `Arc<str>`
//! per occurrence was a sixth of the peak heap of a one-report scan.
//!
//! Each thread keeps a bounded set of the strings it has met and hands out a clone of the
//! stored one for an equal string. Sharing changes no value, only how many copies exist; when
//! the set is full it starts over, so a fleet of services with their own names keeps at most a
//! few hundred kilobytes per thread, and the common values come back within a file or two.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

/// Longer strings are rarely repeated (commands, descriptions, URLs) and their header is a
/// smaller part of them.
const MAX_SHARED_LEN: usize = 48;

/// Strings kept per thread before the set starts over.
const MAX_SHARED: usize = 16 * 1024;

thread_local! {
    static SEEN: RefCell<HashSet<Arc<str>, foldhash::fast::FixedState>> =
        RefCell::default();
}

/// `text`, or an equal string met before on this thread.
pub fn shared(text: Arc<str>) -> Arc<str> {
    if text.len() > MAX_SHARED_LEN {
        return text;
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(known) = seen.get(&text) {
            return known.clone();
        }
        if seen.len() >= MAX_SHARED {
            seen.clear();
        }
        seen.insert(text.clone());
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_short_strings_share_one_allocation() {
        let first = shared(Arc::from("apps/v1"));
        let second = shared(Arc::from("apps/v1"));
        assert!(Arc::ptr_eq(&first, &second));
        let long = "x".repeat(MAX_SHARED_LEN + 1);
        let a = shared(Arc::from(long.as_str()));
        let b = shared(Arc::from(long.as_str()));
        assert!(!Arc::ptr_eq(&a, &b), "long strings are left alone");
        assert_eq!(a, b);
    }
}
