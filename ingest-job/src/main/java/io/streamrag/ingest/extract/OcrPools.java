package io.streamrag.ingest.extract;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One OCR executor and one {@link OcrCache} per settings per JVM, shared by every OCR subtask in a TaskManager, so
 * {@code ingest.ocr.threads} caps the tesseract processes of the TaskManager (one per core by default) and an image read by
 * one subtask is a hit for the others. Reference-counted: the last subtask to close shuts them down.
 */
public final class OcrPools {

    /** The shared executor and cache, and how many subtasks use them. */
    public static final class Pool {
        /** A {@link ThreadPoolExecutor}, so a read that timed out can be taken out of its queue. */
        public final ThreadPoolExecutor executor;
        public final OcrCache cache;
        int users;

        Pool(int threads, long cacheBytes) {
            AtomicInteger n = new AtomicInteger();
            executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "ocr-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            cache = new OcrCache(cacheBytes);
        }
    }

    private static final Map<String, Pool> POOLS = new HashMap<>();

    private OcrPools() {}

    private static String key(int threads, long cacheBytes) {
        return threads + "|" + cacheBytes;
    }

    public static synchronized Pool acquire(int threads, long cacheBytes) {
        Pool pool = POOLS.computeIfAbsent(key(threads, cacheBytes), k -> new Pool(threads, cacheBytes));
        pool.users++;
        return pool;
    }

    /** How many pools (executor and cache) this JVM holds: none once every OCR subtask has closed. */
    public static synchronized int size() {
        return POOLS.size();
    }

    public static synchronized void release(int threads, long cacheBytes) {
        String key = key(threads, cacheBytes);
        Pool pool = POOLS.get(key);
        if (pool != null && --pool.users <= 0) {
            POOLS.remove(key);
            pool.executor.shutdownNow();
        }
    }
}
