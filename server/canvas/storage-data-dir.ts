// What embedded mode keeps in DATA_DIR besides the database: the lock that keeps a second process
// out, and the session secret generated at first start.

import { SESSION_SECRET_MIN_CHARS } from "../../lib/limits";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "../config-error";

/**
 * The shortest kept secret accepted: the same floor loadConfig puts on SESSION_SECRET. A shorter
 * (or empty) file is a damaged or hand-edited one, and a session signed with a guessable key is a
 * forged session.
 */
export const MIN_KEPT_SECRET_CHARS = SESSION_SECRET_MIN_CHARS;

/**
 * Claim DATA_DIR for this process. PGlite does not lock its directory and two writers silently lose
 * data, so a pid file created with O_EXCL guards it; a lock left by a dead process is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "tessera.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(lockPath, "utf8") === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(fs.readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new ConfigError(
          `DATA_DIR ${dataDir} is in use by another Tessera process (pid ${holder}); ` +
            "two processes must never share an embedded database",
        );
      }
      fs.unlinkSync(lockPath); // stale: its process is gone
    }
  }
  throw new ConfigError(`DATA_DIR ${dataDir}: could not take the lock file ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The session secret kept in DATA_DIR in embedded mode: created once (mode 0600), then read at
 * every start. A file that exists but holds fewer than MIN_KEPT_SECRET_CHARS characters stops the
 * start with a ConfigError naming it — it is never replaced silently (that would sign everyone
 * out) nor used (an empty key signs forgeable cookies).
 */
export function keptSessionSecret(dataDir: string): string {
  const file = path.join(dataDir, "session-secret");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ConfigError(`DATA_DIR session secret ${file} cannot be read: ${(err as Error).message}`);
    }
    return createSecret(file);
  }
  const secret = text.trim();
  if (secret.length < MIN_KEPT_SECRET_CHARS) {
    throw new ConfigError(
      `DATA_DIR session secret ${file} is ${secret.length === 0 ? "empty" : "too short"} ` +
        `(${secret.length} characters, at least ${MIN_KEPT_SECRET_CHARS} needed): ` +
        "delete it to have a new one made (every session is then signed out) or set SESSION_SECRET",
    );
  }
  return secret;
}

/**
 * Write the secret to a temporary file and link it into place: a crash can leave a stray temporary
 * file but never a half-written secret, and of two processes racing here the second one reads the
 * first one's secret instead of overwriting it.
 */
function createSecret(file: string): string {
  const secret = randomBytes(32).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true }); // may run before the database made DATA_DIR
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, secret + "\n");
    fs.fsyncSync(fd); // on disk before it has its name, so a power cut cannot leave it empty
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return keptSessionSecret(path.dirname(file));
  } finally {
    fs.unlinkSync(tmp);
  }
  return secret;
}
