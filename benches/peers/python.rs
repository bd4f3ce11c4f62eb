//! The Python peers (PyPI `confo` and `kazoo`): each round is one child
//! process of `peers.py` (beside this file) that times itself.

use crate::*;

impl Ctx {
    /// Runs `peers.py <args>` and returns its samples (one JSON line
    /// `{"samples_ns": [...]}` or `{"error": "..."}` on stdout).
    pub(crate) async fn python(&self, args: &[String]) -> Result<Vec<u64>, String> {
        let mut cmd = tokio::process::Command::new(&self.python);
        cmd.arg(&self.peers_py)
            .args(args)
            .arg("--port")
            .arg(self.port.to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(CHILD_TIMEOUT, cmd.output())
            .await
            .map_err(|_| format!("peers.py {} timed out", args.join(" ")))?
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().rev().find(|l| l.starts_with('{'));
        let Some(line) = line else {
            return Err(format!(
                "peers.py {} printed no result (exit {}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ));
        };
        #[derive(Deserialize)]
        struct Answer {
            samples_ns: Option<Vec<u64>>,
            error: Option<String>,
        }
        let answer: Answer =
            serde_json::from_str(line).map_err(|e| format!("bad peers.py answer {line}: {e}"))?;
        match (answer.samples_ns, answer.error) {
            (_, Some(e)) => Err(e),
            (Some(s), None) => Ok(s),
            (None, None) => Err("peers.py answered nothing".into()),
        }
    }
}
