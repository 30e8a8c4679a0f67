package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.extract.DocumentException;
import io.streamrag.ingest.fetch.FetchPolicy;
import io.streamrag.ingest.fetch.FetchSettings;
import io.streamrag.ingest.fetch.PinnedResolver;
import io.streamrag.ingest.metrics.FetchMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FetchedDocument;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.DefaultSchemePortResolver;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.DefaultRoutePlanner;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HttpsSupport;
import org.apache.hc.core5.concurrent.DefaultThreadFactory;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.ssl.SSLContexts;
import org.apache.hc.core5.util.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Resolves a document's content: inline {@code contentBase64}, or the {@code uri} as the {@link FetchPolicy}
 * allows: {@code http(s)://} to allowed hosts and addresses (redirects followed here, each hop checked again and
 * connected to the addresses checked only, never through a JVM proxy; a total time limit and a size cap on the
 * body), {@code file://} only under the allowed roots, other configured schemes through Flink's FileSystem (s3://,
 * hdfs://, ...) within the same total time limit. Enforces the size limits and settles the content type (magic
 * bytes beat the declared type for binary formats). Every refusal is one dead letter at stage fetch.
 */
public class FetchContent extends ProcessFunction<DocumentTask, FetchedDocument> {
    private static final long serialVersionUID = 1L;

    /** Threads reading through Flink's FileSystem per subtask, stuck ones included (see {@link #fetchFileSystem}). */
    static final int MAX_STORE_READERS = 4;

    private final FetchSettings settings;

    private transient PinnedResolver pinned;
    private transient CloseableHttpAsyncClient http;
    private transient ExecutorService storeReads;
    private transient FetchMetrics metrics;

    public FetchContent(FetchSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new FetchMetrics(getRuntimeContext().getMetricGroup());
        pinned = new PinnedResolver();
        http = HttpAsyncClients.custom()
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setDnsResolver(pinned) // connects to the addresses the policy checked, never a second lookup
                        // The certificate is checked against the URI's host name (also sent as SNI), not the address
                        // connected to. An explicit verifier: httpclient5 5.4's default leaves the check to JSSE, which
                        // its async client never turns on (a certificate for another name passed).
                        .setTlsStrategy(ClientTlsStrategyBuilder.create().setSslContext(SSLContexts.createSystemDefault())
                                .setHostnameVerifier(HttpsSupport.getDefaultHostnameVerifier()).build())
                        .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.of(settings.httpTimeout())).build())
                        .build())
                // Direct routes only: a JVM-wide proxy (http.proxyHost, a default ProxySelector) would be handed names
                // whose addresses the policy never saw.
                .setRoutePlanner(new DefaultRoutePlanner(DefaultSchemePortResolver.INSTANCE))
                .disableRedirectHandling() // followed by hand so that every hop passes the policy
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).build()) // one fetch at a time
                .setThreadFactory(new DefaultThreadFactory("fetch-http", true))
                .build();
        http.start();
        AtomicInteger n = new AtomicInteger();
        // At most MAX_STORE_READERS threads: one read at a time, plus reads given up on that have not let go yet.
        storeReads = new ThreadPoolExecutor(0, MAX_STORE_READERS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "fetch-store-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void close() {
        if (http != null) {
            http.close(CloseMode.IMMEDIATE);
        }
        if (storeReads != null) {
            storeReads.shutdownNow();
        }
    }

    @Override
    public void processElement(DocumentTask task, Context ctx, Collector<FetchedDocument> out) {
        if (task.isDelete()) {
            out.collect(new FetchedDocument(task, null, null));
            return;
        }
        try {
            byte[] content = task.contentBase64 != null ? decodeInline(task.contentBase64) : fetch(task.uri, task.tenant);
            task.contentBase64 = null; // the bytes travel on; the text copy is dead weight now
            metrics.get(FetchMetrics.BYTES_FETCHED).inc(content.length);
            if (content.length == 0) {
                throw new DocumentException(DocumentError.EMPTY_CONTENT, "Document content is empty");
            }
            String type = settleType(task.contentType, content, task.uri);
            out.collect(new FetchedDocument(task, content, type));
        } catch (DocumentException e) {
            metrics.get(FetchMetrics.FETCH_FAILURES).inc();
            if (e.error() == DocumentError.FORBIDDEN) {
                metrics.get(FetchMetrics.FETCH_REFUSED).inc();
            }
            ctx.output(DeadLetters.TAG, DeadLetters.of(task, Stage.FETCH, e.error(), e.getMessage()));
        }
    }

    static String settleType(String declared, byte[] content, String uri) throws DocumentException {
        String detected = ContentTypes.detect(content, uri);
        boolean binary = ContentTypes.PDF.equals(detected) || ContentTypes.PNG.equals(detected) || ContentTypes.JPEG.equals(detected);
        String type = declared == null || binary ? detected : declared;
        if (type == null) {
            throw new DocumentException(DocumentError.UNSUPPORTED_CONTENT_TYPE, "Cannot detect a supported content type from the bytes");
        }
        return type;
    }

    private byte[] decodeInline(String base64) throws DocumentException {
        if ((long) base64.length() * 3 / 4 > settings.maxInlineBytes()) {
            throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "contentBase64 is larger than " + IngestOptions.LIMITS_MAX_INLINE_BYTES.key() + "=" + settings.maxInlineBytes());
        }
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new DocumentException(DocumentError.INVALID_CONTENT, "contentBase64 is not valid Base64: " + e.getMessage());
        }
    }

    private byte[] fetch(String uriText, String tenant) throws DocumentException {
        URI uri;
        try {
            uri = new URI(uriText);
        } catch (Exception e) {
            throw new DocumentException(DocumentError.INVALID_URI, "Invalid uri: " + uriText);
        }
        if (uri.getScheme() == null) {
            throw new DocumentException(DocumentError.INVALID_URI, "uri needs a scheme (file://, http(s)://, s3://...): " + uriText);
        }
        settings.policy().checkScheme(uri);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        try {
            switch (scheme) {
                case "http":
                case "https":
                    return fetchHttp(uri);
                case "file":
                    java.nio.file.Path real = settings.policy().checkFile(uri, tenant);
                    return readFile(settings.policy().rootOf(real, tenant), real, uri);
                default:
                    settings.policy().checkStore(uri, tenant);
                    return fetchFileSystem(uri);
            }
        } catch (FileNotFoundException | NoSuchFileException e) {
            throw new DocumentException(DocumentError.NOT_FOUND, "No such file: " + uriText);
        } catch (IOException e) {
            throw new DocumentException(DocumentError.FETCH_FAILED, "Cannot read " + uriText + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DocumentException(DocumentError.FETCH_FAILED, "Interrupted while reading " + uriText);
        } catch (RuntimeException e) {
            // What a client refuses to request (e.g. a redirect to an impossible port) is this document's failure,
            // not the task's: thrown on, it failed the job again after every restore.
            throw new DocumentException(DocumentError.FETCH_FAILED, "Cannot fetch " + uriText + ": " + e);
        } catch (StackOverflowError e) {
            // Backstop for a check of untrusted text (a uri, a redirect's Location) that recursed too deep: the stack
            // has unwound, and the document, not the task, fails.
            throw new DocumentException(DocumentError.FETCH_FAILED, "Cannot fetch " + uriText + ": " + e);
        }
    }

    /**
     * Reads through Flink's FileSystem within {@link IngestOptions#FETCH_TOTAL_TIMEOUT}. The status, open and read run
     * on a thread of their own, so a stalled store cannot hold the task thread: at the deadline (or when the task is
     * cancelled) the read is interrupted and its stream closed, and the document is a {@code Timeout}.
     */
    private byte[] fetchFileSystem(URI uri) throws IOException, InterruptedException, DocumentException {
        AtomicReference<InputStream> opened = new AtomicReference<>();
        Future<byte[]> read;
        try {
            read = storeReads.submit(() -> readFileSystem(uri, opened));
        } catch (RejectedExecutionException e) {
            // Every reader is still stuck in a read given up on that ignored both interrupt and close: refuse rather
            // than add a thread per document for a store that hangs.
            throw new DocumentException(DocumentError.TIMEOUT, "Fetching " + uri + ": all " + MAX_STORE_READERS
                    + " store readers are still stuck in earlier reads past " + IngestOptions.FETCH_TOTAL_TIMEOUT.key());
        }
        try {
            return read.get(settings.totalTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon(read, opened);
            throw timeout(uri);
        } catch (InterruptedException e) {
            abandon(read, opened); // the task is cancelled: the read must not go on without it
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof DocumentException) {
                throw (DocumentException) cause;
            }
            throw cause instanceof IOException ? (IOException) cause : new IOException(cause);
        }
    }

    private byte[] readFileSystem(URI uri, AtomicReference<InputStream> opened) throws IOException, DocumentException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem();
        FileStatus status = fs.getFileStatus(path);
        if (status.isDir()) {
            throw new DocumentException(DocumentError.INVALID_URI, "uri is a directory: " + uri);
        }
        if (status.getLen() > settings.maxBytes()) {
            throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Document has " + status.getLen() + " bytes, more than " + IngestOptions.LIMITS_MAX_BYTES.key() + "=" + settings.maxBytes());
        }
        try (InputStream in = fs.open(path)) {
            opened.set(in);
            return readLimited(in);
        }
    }

    /**
     * Stops a read past its deadline: an interrupt for stores that honour it, and a close of its stream, which ends a
     * blocked read in most clients. The close runs on another pool thread: some streams' close waits for the read.
     */
    private void abandon(Future<byte[]> read, AtomicReference<InputStream> opened) {
        read.cancel(true);
        InputStream in = opened.get();
        if (in != null) {
            try {
                storeReads.execute(() -> {
                    try {
                        in.close();
                    } catch (IOException | RuntimeException e) {
                        // the read is abandoned either way
                    }
                });
            } catch (RejectedExecutionException e) {
                // every reader is stuck: this read stays abandoned, unclosed
            }
        }
    }

    /**
     * Reads the checked real path of a file:// URI one directory at a time from its allowed root, following no
     * symbolic link: a link put in its way after the check (to another tenant's folder, to {@code /proc}) makes the
     * read fail instead of leading there. Only regular files: a FIFO would block the task thread for good.
     */
    byte[] readFile(java.nio.file.Path root, java.nio.file.Path real, URI uri) throws IOException, DocumentException {
        java.nio.file.Path relative = root.relativize(real);
        if (relative.getNameCount() == 0 || relative.toString().isEmpty()) {
            throw new DocumentException(DocumentError.INVALID_URI, "uri is a directory: " + uri);
        }
        try (DirectoryStream<java.nio.file.Path> top = Files.newDirectoryStream(root)) {
            if (!(top instanceof SecureDirectoryStream)) {
                throw new DocumentException(DocumentError.FORBIDDEN, "file:// needs a file system that opens files relative to a directory (openat): " + uri);
            }
            Deque<SecureDirectoryStream<java.nio.file.Path>> opened = new ArrayDeque<>();
            try {
                SecureDirectoryStream<java.nio.file.Path> dir = (SecureDirectoryStream<java.nio.file.Path>) top;
                for (int i = 0; i < relative.getNameCount() - 1; i++) {
                    dir = dir.newDirectoryStream(relative.getName(i), LinkOption.NOFOLLOW_LINKS);
                    opened.push(dir);
                }
                java.nio.file.Path name = relative.getFileName();
                BasicFileAttributes attributes = dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
                if (attributes.isDirectory()) {
                    throw new DocumentException(DocumentError.INVALID_URI, "uri is a directory: " + uri);
                }
                if (!attributes.isRegularFile()) {
                    throw new DocumentException(DocumentError.FORBIDDEN, "file:// reads regular files only, not links, pipes or devices: " + uri);
                }
                if (attributes.size() > settings.maxBytes()) {
                    throw new DocumentException(DocumentError.LIMIT_EXCEEDED, "Document has " + attributes.size() + " bytes, more than " + IngestOptions.LIMITS_MAX_BYTES.key() + "=" + settings.maxBytes());
                }
                try (SeekableByteChannel channel = dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
                    return readLimited(Channels.newInputStream(channel));
                }
            } finally {
                while (!opened.isEmpty()) {
                    opened.pop().close();
                }
            }
        }
    }

    /**
     * GET with the policy checked before the first request and before every redirect hop, each hop connected only to
     * the addresses its check returned, one deadline for all hops and the body, and the body capped at
     * {@link IngestOptions#LIMITS_MAX_BYTES} while it streams in.
     */
    private byte[] fetchHttp(URI uri) throws IOException, InterruptedException, DocumentException {
        long deadline = System.nanoTime() + settings.totalTimeout().toNanos();
        URI current = uri;
        for (int hop = 0; ; hop++) {
            List<InetAddress> checked;
            try {
                checked = settings.policy().checkHttp(current);
            } catch (DocumentException e) {
                throw hop == 0 ? e : new DocumentException(e.error(), "Redirect " + hop + " of " + uri + " refused: " + e.getMessage());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw timeout(uri);
            }
            Reply reply;
            pinned.pin(current.getHost(), checked);
            try {
                reply = send(current, left, uri);
            } finally {
                pinned.clear();
            }
            int status = reply.status();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                if (hop >= settings.maxRedirects()) {
                    throw new DocumentException(DocumentError.TOO_MANY_REDIRECTS, "More than " + IngestOptions.FETCH_MAX_REDIRECTS.key() + "=" + settings.maxRedirects() + " redirects from " + uri);
                }
                if (reply.location() == null) {
                    throw new DocumentException(DocumentError.FETCH_FAILED, "HTTP " + status + " without Location from " + current);
                }
                try {
                    current = current.resolve(new URI(reply.location()));
                } catch (Exception e) {
                    throw new DocumentException(DocumentError.INVALID_URI, "Invalid redirect Location '" + reply.location() + "' from " + current);
                }
                continue;
            }
            if (status / 100 != 2) {
                throw new DocumentException(status == 404 ? DocumentError.NOT_FOUND : DocumentError.FETCH_FAILED, "GET " + current + " returned HTTP " + status);
            }
            return reply.body();
        }
    }

    /** One request of a fetch, within what is left of its deadline; cancelled (connection dropped) at the deadline or on interrupt. */
    private Reply send(URI target, long leftNanos, URI uri) throws IOException, InterruptedException, DocumentException {
        Timeout wait = Timeout.ofMilliseconds(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(leftNanos, settings.httpTimeout().toNanos()))));
        HttpClientContext context = HttpClientContext.create();
        context.setRequestConfig(RequestConfig.custom().setResponseTimeout(wait).setConnectionRequestTimeout(wait).setRedirectsEnabled(false).build());
        CappedReply consumer = new CappedReply(settings.maxBytes());
        Future<Reply> pending = http.execute(SimpleRequestProducer.create(SimpleRequestBuilder.get(target).build()),
                consumer, context, null);
        try {
            return pending.get(leftNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            consumer.abandon();
            pending.cancel(true);
            throw timeout(uri);
        } catch (InterruptedException e) {
            consumer.abandon(); // the task is cancelled: the download must not go on without it
            pending.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BodyTooLarge) {
                throw tooLarge(settings.maxBytes());
            }
            if (cause instanceof SocketTimeoutException || cause instanceof ConnectTimeoutException) {
                // Which limit ran out: the request's own (a silent server) or what was left of the fetch's total.
                throw leftNanos <= settings.httpTimeout().toNanos() ? timeout(uri) : new DocumentException(DocumentError.TIMEOUT,
                        "Fetching " + uri + ": no connection or no data within " + IngestOptions.FETCH_HTTP_TIMEOUT.key() + "=" + settings.httpTimeout());
            }
            throw cause instanceof IOException ? (IOException) cause : new IOException(cause);
        }
    }

    private DocumentException timeout(URI uri) {
        return new DocumentException(DocumentError.TIMEOUT, "Fetching " + uri + " took longer than " + IngestOptions.FETCH_TOTAL_TIMEOUT.key() + "=" + settings.totalTimeout());
    }

    private byte[] readLimited(InputStream in) throws IOException, DocumentException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException("read abandoned"); // past its deadline: stop filling memory for nobody
            }
            total += n;
            if (total > settings.maxBytes()) {
                throw tooLarge(settings.maxBytes());
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static DocumentException tooLarge(long maxBytes) {
        return new DocumentException(DocumentError.LIMIT_EXCEEDED, "Document is larger than " + IngestOptions.LIMITS_MAX_BYTES.key() + "=" + maxBytes);
    }

    /** Status, redirect target and (for 2xx) body of one response. */
    private record Reply(int status, String location, byte[] body) {}

    /** Fails an exchange whose body passes the size cap; the client drops the connection. */
    private static final class BodyTooLarge extends IOException {
        private static final long serialVersionUID = 1L;
    }

    /** Collects a response: the body of a 2xx up to the size cap (the download is cut off past it), others' discarded. */
    private static final class CappedReply extends AbstractBinResponseConsumer<Reply> {
        private final long maxBytes;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int status;
        private String location;
        private long total;
        /** Set when the fetch gave up on it: the next data fails the exchange, which drops the connection. */
        private volatile boolean abandoned;

        CappedReply(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        @Override
        protected void start(HttpResponse response, ContentType contentType) throws IOException {
            status = response.getCode();
            Header header = response.getFirstHeader("Location");
            location = header == null ? null : header.getValue();
            Header length = response.getFirstHeader("Content-Length");
            if (status / 100 == 2 && length != null && parseLength(length.getValue()) > maxBytes) {
                throw new BodyTooLarge(); // no need to download what will be refused
            }
        }

        @Override
        protected int capacityIncrement() {
            return Integer.MAX_VALUE;
        }

        /**
         * Stops the download as the size cap does. Cancelling the request's future alone sometimes left the connection
         * reading a body that kept coming (FetchContentTest, now and then in the full suite).
         */
        void abandon() {
            abandoned = true;
        }

        @Override
        protected void data(ByteBuffer src, boolean endOfStream) throws IOException {
            if (abandoned) {
                throw new InterruptedIOException("fetch abandoned (deadline or task cancelled)");
            }
            if (status / 100 != 2) {
                src.position(src.limit());
                return;
            }
            total += src.remaining();
            if (total > maxBytes) {
                throw new BodyTooLarge();
            }
            byte[] chunk = new byte[src.remaining()];
            src.get(chunk);
            out.write(chunk, 0, chunk.length);
        }

        @Override
        protected Reply buildResult() {
            return new Reply(status, location, status / 100 == 2 ? out.toByteArray() : null);
        }

        @Override
        public void releaseResources() {
            out.reset();
        }

        private static long parseLength(String value) {
            try {
                return Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                return -1; // the client refuses a malformed length itself
            }
        }
    }
}
