package io.streamrag.ingest.testing;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.concurrent.CountDownLatch;

/**
 * An object store that stalls, as Flink FileSystem {@code stall://any/ABSOLUTE/PATH} over local files (registered
 * through META-INF/services): a file named {@code stalled*} opens a stream whose read waits until the stream is
 * closed or its thread interrupted, one named {@code stuck*} a stream whose read ignores both until {@link #release}.
 */
public class StallingFileSystem extends LocalFileSystem {

    public static final String SCHEME = "stall";

    /** Counted down when a {@code stalled*} stream is closed: whoever gave up on the read let go of it. */
    public static volatile CountDownLatch stalledClosed = new CountDownLatch(1);
    private static volatile CountDownLatch released = new CountDownLatch(1);

    /** Arms the latches for one test. */
    public static void reset() {
        stalledClosed = new CountDownLatch(1);
        released = new CountDownLatch(1);
    }

    /** Lets {@code stuck*} reads end (with an error), so no thread stays parked after a test. */
    public static void release() {
        released.countDown();
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public FSDataInputStream open(Path path, int bufferSize) throws IOException {
        return open(path);
    }

    @Override
    public FSDataInputStream open(Path path) throws IOException {
        String name = path.getName();
        if (name.startsWith("stalled")) {
            return new Stalled(false);
        }
        if (name.startsWith("stuck")) {
            return new Stalled(true);
        }
        return super.open(path);
    }

    /** A stream that never delivers a byte. */
    private static final class Stalled extends FSDataInputStream {
        private final boolean stuck;
        private final CountDownLatch closed = new CountDownLatch(1);

        Stalled(boolean stuck) {
            this.stuck = stuck;
        }

        @Override
        public int read() throws IOException {
            if (stuck) {
                boolean interrupted = false;
                while (true) {
                    try {
                        released.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true; // a store client that swallows interrupts
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("released");
            }
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted");
            }
            throw new IOException("Stream closed");
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return read();
        }

        @Override
        public void close() {
            if (closed.getCount() > 0 && !stuck) {
                stalledClosed.countDown();
            }
            closed.countDown();
        }

        @Override
        public void seek(long desired) {}

        @Override
        public long getPos() {
            return 0;
        }
    }

    /** Makes {@code stall://} file systems. */
    public static final class Factory implements FileSystemFactory {
        @Override
        public String getScheme() {
            return SCHEME;
        }

        @Override
        public FileSystem create(URI fsUri) {
            return new StallingFileSystem();
        }
    }
}
