package io.streamrag.ingest.extract;

import java.nio.channels.ClosedByInterruptException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Text read from images, keyed by tenant + SHA-256 of the image bytes, bounded by an estimate of its heap size and
 * evicting the least recently used. A read of an image already under way is joined rather than repeated (a logo on
 * every page arrives many times at once). Failed reads are not kept. Thread-safe.
 */
public final class OcrCache {

    /** Reads one image; throws when it could not be read. */
    public interface Reader {
        String read() throws Exception;
    }

    /** The text, and whether it came without running the reader. */
    public record Result(String text, boolean hit) {}

    /** Per-entry overhead beyond the characters (entry, node, two String headers), roughly. */
    private static final long ENTRY_OVERHEAD = 96;

    private final long maxBytes;
    private final LinkedHashMap<String, String> entries = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<String, CompletableFuture<String>> reading = new ConcurrentHashMap<>();
    private long bytes;

    public OcrCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The cache key: the same picture in two tenants is two entries, so one tenant never learns of another's images. */
    public static String key(String tenant, byte[] image) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(image);
            return tenant + "\u0000" + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text of the image under {@code key}: cached, from a read of it already under way, or read now. */
    public Result get(String key, Reader reader) throws Exception {
        if (maxBytes <= 0) {
            return new Result(Objects.requireNonNullElse(reader.read(), ""), false);
        }
        while (true) {
            String cached = lookup(key);
            if (cached != null) {
                return new Result(cached, true);
            }
            CompletableFuture<String> mine = new CompletableFuture<>();
            CompletableFuture<String> other = reading.putIfAbsent(key, mine);
            if (other != null) {
                try {
                    return new Result(other.get(), true);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Abandoned) {
                        continue; // that read was cancelled (its own document timed out): this one is not, so read it
                    }
                    // An Error of the other read stays wrapped: it happened on that thread, this image just failed with it.
                    throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
                }
            }
            try {
                // Another thread may have finished this image between the lookup and taking it over.
                cached = lookup(key);
                if (cached != null) {
                    mine.complete(cached);
                    return new Result(cached, true);
                }
                String text;
                try {
                    // No text (a vision model's empty reply) is empty text, not a null the cache cannot weigh.
                    text = Objects.requireNonNullElse(reader.read(), "");
                    put(key, text);
                } catch (Throwable e) {
                    // Whatever ends this read (an Error too) ends the reads joined to it: they wait without a timeout.
                    // Interrupted (this image's read was cancelled), it is not theirs to fail: they try again.
                    if (interrupted(e)) {
                        reading.remove(key, mine); // before they wake: one of them takes the read over
                        mine.completeExceptionally(new Abandoned());
                    } else {
                        mine.completeExceptionally(e);
                    }
                    throw e;
                }
                mine.complete(text);
                return new Result(text, false);
            } finally {
                reading.remove(key, mine);
            }
        }
    }

    /** The read was interrupted (cancelled), rather than failed by the image. */
    private static boolean interrupted(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof InterruptedException || c instanceof ClosedByInterruptException) {
                return true;
            }
        }
        return Thread.currentThread().isInterrupted();
    }

    /** A joined read was cancelled: those waiting for it read the image themselves. */
    private static final class Abandoned extends Exception {
        private static final long serialVersionUID = 1L;

        Abandoned() {
            super(null, null, false, false);
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    private synchronized String lookup(String key) {
        return entries.get(key);
    }

    private synchronized void put(String key, String text) {
        long weight = weight(key, text);
        if (weight > maxBytes) {
            return;
        }
        String old = entries.put(key, text);
        bytes += weight - (old == null ? 0 : weight(key, old));
        Iterator<Map.Entry<String, String>> eldest = entries.entrySet().iterator();
        while (bytes > maxBytes && eldest.hasNext()) {
            Map.Entry<String, String> e = eldest.next();
            bytes -= weight(e.getKey(), e.getValue());
            eldest.remove();
        }
    }

    private static long weight(String key, String text) {
        return ENTRY_OVERHEAD + 2L * (key.length() + text.length());
    }
}
