package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.extract.DocumentException;
import io.streamrag.ingest.fetch.FetchPolicy;
import io.streamrag.ingest.fetch.FetchSettings;
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

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Resolves a document's content: inline {@code contentBase64}, or the {@code uri} as the {@link FetchPolicy}
 * allows: {@code http(s)://} to allowed hosts and addresses (redirects followed here, each hop checked again;
 * a total time limit and a size cap on the body), {@code file://} only under the allowed roots, other configured
 * schemes through Flink's FileSystem (s3://, hdfs://, ...). Enforces the size limits and settles the content type
 * (magic bytes beat the declared type for binary formats). Every refusal is one dead letter at stage fetch.
 */
public class FetchContent extends ProcessFunction<DocumentTask, FetchedDocument> {
    private static final long serialVersionUID = 1L;

    private final FetchSettings settings;

    private transient HttpClient http;
    private transient FetchMetrics metrics;

    public FetchContent(FetchSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new FetchMetrics(getRuntimeContext().getMetricGroup());
        // Redirects are followed by hand so that every hop passes the policy.
        http = HttpClient.newBuilder().connectTimeout(settings.httpTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
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
                    return fetchFileSystem(uri);
            }
        } catch (FileNotFoundException | NoSuchFileException e) {
            throw new DocumentException(DocumentError.NOT_FOUND, "No such file: " + uriText);
        } catch (IOException e) {
            throw new DocumentException(DocumentError.FETCH_FAILED, "Cannot read " + uriText + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DocumentException(DocumentError.FETCH_FAILED, "Interrupted while reading " + uriText);
        }
    }

    private byte[] fetchFileSystem(URI uri) throws IOException, DocumentException {
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
            return readLimited(in);
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
     * GET with the policy checked before the first request and before every redirect hop, one deadline for all
     * hops and the body, and the body capped at {@link IngestOptions#LIMITS_MAX_BYTES} while it streams in.
     */
    private byte[] fetchHttp(URI uri) throws IOException, InterruptedException, DocumentException {
        long deadline = System.nanoTime() + settings.totalTimeout().toNanos();
        URI current = uri;
        for (int hop = 0; ; hop++) {
            try {
                settings.policy().checkHttp(current);
            } catch (DocumentException e) {
                throw hop == 0 ? e : new DocumentException(e.error(), "Redirect " + hop + " of " + uri + " refused: " + e.getMessage());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw timeout(uri);
            }
            HttpRequest request = HttpRequest.newBuilder(current)
                    .timeout(Duration.ofNanos(Math.min(left, settings.httpTimeout().toNanos()))).GET().build();
            CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(request, info -> info.statusCode() / 100 == 2
                    ? new CappedBody(settings.maxBytes())
                    : HttpResponse.BodySubscribers.replacing(null));
            HttpResponse<byte[]> response;
            try {
                response = pending.get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                pending.cancel(true);
                throw timeout(uri);
            } catch (InterruptedException e) {
                pending.cancel(true); // the task is cancelled: the download must not go on without it
                throw e;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof DocumentException) {
                    throw (DocumentException) cause;
                }
                if (cause instanceof HttpTimeoutException) {
                    throw timeout(uri);
                }
                throw cause instanceof IOException ? (IOException) cause : new IOException(cause);
            }
            int status = response.statusCode();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                if (hop >= settings.maxRedirects()) {
                    throw new DocumentException(DocumentError.TOO_MANY_REDIRECTS, "More than " + IngestOptions.FETCH_MAX_REDIRECTS.key() + "=" + settings.maxRedirects() + " redirects from " + uri);
                }
                String location = response.headers().firstValue("Location")
                        .orElseThrow(() -> new DocumentException(DocumentError.FETCH_FAILED, "HTTP " + status + " without Location from " + request.uri()));
                try {
                    current = current.resolve(new URI(location));
                } catch (Exception e) {
                    throw new DocumentException(DocumentError.INVALID_URI, "Invalid redirect Location '" + location + "' from " + request.uri());
                }
                continue;
            }
            if (status / 100 != 2) {
                throw new DocumentException(status == 404 ? DocumentError.NOT_FOUND : DocumentError.FETCH_FAILED, "GET " + current + " returned HTTP " + status);
            }
            return response.body();
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

    /** Collects a response body and cancels the download as soon as it passes the size cap. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final long maxBytes;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private Flow.Subscription subscription;
        private long total;

        CappedBody(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                total += b.remaining();
                if (total > maxBytes) {
                    subscription.cancel();
                    result.completeExceptionally(tooLarge(maxBytes));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }
}
