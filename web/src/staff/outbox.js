// The outbox: records made without signal wait in IndexedDB (photos as Blobs) and are sent,
// oldest first, when the network returns. Each entry is removed only after the server has
// answered 201, so a reload or a crash in between sends it again at worst once more.

const DB = 'kashimap-outbox';
const STORE = 'records';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(out.result ?? out);
    t.onerror = () => reject(t.error);
  });
}

/** Queue `{ layer, feature, photos: Blob[] }`. */
export const enqueue = (entry) => tx('readwrite', (s) => s.add({ ...entry, queued: Date.now() }));

/** Every queued entry, oldest first. */
export const pending = () => tx('readonly', (s) => s.getAll());

const remove = (key) => tx('readwrite', (s) => s.delete(key));

let flushing = null;

/**
 * Send every queued entry with `send(entry)` (which throws when it could not); stops at the
 * first failure and leaves the rest queued. Returns how many were sent.
 */
export function flush(send) {
  flushing ??= (async () => {
    let sent = 0;
    try {
      for (const entry of await pending()) {
        await send(entry);
        await remove(entry.key);
        sent += 1;
      }
    } finally {
      flushing = null;
    }
    return sent;
  })();
  return flushing;
}
