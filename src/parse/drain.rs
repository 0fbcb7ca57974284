//! Whether a source file drains itself on SIGTERM: it catches the signal, then waits (a sleep)
//! before it closes its listeners. The wait is what a `preStop` sleep buys a pod — time for the
//! endpoints controller and every kube-proxy to stop sending it new requests — so a service that
//! waits on its own needs no hook for it (podinfo's `Graceful`: fail `/readyz`, sleep, shut down).

use std::sync::LazyLock;

use regex::Regex;

/// Catching the termination signal, in the languages services are written in.
static SIGNAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"signal\.Notify(Context)?\(|SIGTERM|SignalKind::terminate|ApplicationStopping")
        .expect("a valid regex")
});

/// A blocking wait of a fixed time.
static SLEEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"time\.Sleep\(|Thread\.sleep\(|time\.sleep\(|asyncio\.sleep\(|tokio::time::sleep\(|std::thread::sleep\(|Task\.Delay\(|await\s+(setTimeout|sleep|delay)\(")
        .expect("a valid regex")
});

/// Closing the listeners.
static SHUTDOWN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\.(shutdown|graceful_?shutdown|gracefulstop|close|stop)\(")
        .expect("a valid regex")
});

/// The signal is caught, then a sleep, then the listeners are closed, in that order, within a
/// few screens of code.
pub fn drains_on_sigterm(text: &str) -> bool {
    const WITHIN: usize = 4096;
    let Some(signal) = SIGNAL.find(text) else {
        return false;
    };
    let after = |from: usize, regex: &Regex| {
        let end = text.len().min(from + WITHIN);
        let end = (end..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        regex.find(&text[from..end]).map(|m| from + m.end())
    };
    after(signal.end(), &SLEEP).is_some_and(|slept| after(slept, &SHUTDOWN).is_some())
}

#[cfg(test)]
mod tests {
    use super::drains_on_sigterm;

    #[test]
    fn a_sleep_between_the_signal_and_the_shutdown_drains() {
        let go = "signal.Notify(stop, syscall.SIGTERM)\n<-stop\natomic.StoreInt32(ready, 0)\ntime.Sleep(3 * time.Second)\nsrv.Shutdown(ctx)\n";
        assert!(drains_on_sigterm(go));
        let no_wait = "signal.Notify(stop, syscall.SIGTERM)\n<-stop\nsrv.Shutdown(ctx)\n";
        assert!(!drains_on_sigterm(no_wait), "no wait before the shutdown");
        let retry = "time.Sleep(time.Second)\nsignal.Notify(stop, syscall.SIGTERM)\n<-stop\nsrv.Shutdown(ctx)\n";
        assert!(
            !drains_on_sigterm(retry),
            "a sleep before the signal is a retry loop"
        );
        let py = "signal.signal(signal.SIGTERM, handler)\ndef handler(*_):\n    time.sleep(5)\n    server.stop(grace=10)\n";
        assert!(drains_on_sigterm(py));
        assert!(
            !drains_on_sigterm("time.Sleep(1)\nsrv.Shutdown(ctx)\n"),
            "no signal"
        );
    }
}
