//! Map keys, interned for the whole process: equal keys are one `Key`, so following a path
//! compares integers instead of strings, and `containers` seen in ten thousand manifests is
//! stored once instead of ten thousand times.
//!
//! Interned text lives as long as the process. A scan's vocabulary of keys is small (Kubernetes
//! field names, compose services, section titles) and a fleet shares most of it; the text of a
//! key is never more than what golive read. Ids depend on the order in which threads meet keys,
//! so nothing may order by them: `Key` is deliberately not `Ord`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

type Ids = HashMap<&'static str, Key, foldhash::fast::FixedState>;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(u32);

#[derive(Default)]
struct Table {
    ids: Ids,
    texts: Vec<&'static str>,
}

static TABLE: LazyLock<RwLock<Table>> = LazyLock::new(RwLock::default);

thread_local! {
    /// This thread's view of the table: the keys it has met and a prefix of the texts. Both only
    /// ever grow, as the table does, so they never go stale and the lock is taken only for a key
    /// the thread has not seen yet.
    static LOCAL: RefCell<Table> = RefCell::default();
}

impl Key {
    /// The key for `text`, interning it if it is new.
    pub fn new(text: &str) -> Key {
        LOCAL.with_borrow_mut(|local| {
            if let Some(key) = local.ids.get(text) {
                return *key;
            }
            let (key, text) = {
                let mut table = TABLE.write().unwrap_or_else(PoisonError::into_inner);
                match table.ids.get_key_value(text) {
                    Some((text, key)) => (*key, *text),
                    None => {
                        let key = Key(u32::try_from(table.texts.len()).unwrap_or(u32::MAX));
                        let text: &'static str = Box::leak(text.into());
                        table.ids.insert(text, key);
                        table.texts.push(text);
                        (key, text)
                    }
                }
            };
            local.ids.insert(text, key);
            key
        })
    }

    /// The key for `text` if any document or rule has used it; `None` means no map anywhere has
    /// this key, so a lookup can stop at once.
    pub fn find(text: &str) -> Option<Key> {
        LOCAL.with_borrow_mut(|local| {
            if let Some(key) = local.ids.get(text) {
                return Some(*key);
            }
            let table = TABLE.read().unwrap_or_else(PoisonError::into_inner);
            let (text, key) = table.ids.get_key_value(text)?;
            local.ids.insert(text, *key);
            Some(*key)
        })
    }

    pub fn as_str(self) -> &'static str {
        let index = self.0 as usize;
        LOCAL.with_borrow_mut(|local| {
            if index >= local.texts.len() {
                let table = TABLE.read().unwrap_or_else(PoisonError::into_inner);
                let known = local.texts.len();
                local.texts.extend_from_slice(&table.texts[known..]);
            }
            local.texts.get(index).copied().unwrap_or_default()
        })
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::Key;

    /// Runs `f` on a new thread, whose local view of the table starts empty.
    fn elsewhere<T: Send>(f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|scope| {
            scope
                .spawn(f)
                .join()
                .unwrap_or_else(|_| panic!("the other thread panicked"))
        })
    }

    #[test]
    fn equal_text_is_one_key_across_threads() {
        let here = Key::new("golive-key-test-containers");
        let there = elsewhere(|| Key::new("golive-key-test-containers"));
        assert_eq!(here, there);
        assert_ne!(here, Key::new("golive-key-test-ports"));
        assert_eq!(here.as_str(), "golive-key-test-containers");
    }

    #[test]
    fn find_does_not_intern() {
        assert_eq!(Key::find("golive-key-test-never-used"), None);
        let key = Key::new("golive-key-test-used");
        assert_eq!(elsewhere(|| Key::find("golive-key-test-used")), Some(key));
    }

    #[test]
    fn texts_interned_on_another_thread_read_back() {
        let key = elsewhere(|| Key::new("golive-key-test-from-afar"));
        assert_eq!(key.to_string(), "golive-key-test-from-afar");
    }
}
