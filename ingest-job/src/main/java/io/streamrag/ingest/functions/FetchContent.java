package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.extract.DocumentException;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FetchedDocument;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.Configuration;
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
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Resolves a document's content: inline {@code contentBase64}, {@code http(s)://} with a timeout, {@code file://}
 * only under the allowed roots, any other scheme through Flink's FileSystem (s3://, hdfs://, ...). Enforces the
 * size limits and settles the content type (magic bytes beat the declared type for binary formats).
 */
public class FetchContent extends ProcessFunction<DocumentTask, FetchedDocument> {
    private static final long serialVersionUID = 1L;

    private final long maxBytes;
    private final long maxInlineBytes;
    private final Duration httpTimeout;
    private final String allowedRoots;

    private transient List<java.nio.file.Path> roots;
    private transient HttpClient http;
    private transient FetchMetrics metrics;

    public FetchContent(Configuration conf) {
        this.maxBytes = conf.get(IngestOptions.MAX_BYTES);
        this.maxInlineBytes = conf.get(IngestOptions.MAX_INLINE_BYTES);
        this.httpTimeout = conf.get(IngestOptions.HTTP_TIMEOUT);
        this.allowedRoots = conf.get(IngestOptions.ALLOWED_ROOTS);
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new FetchMetrics(getRuntimeContext().getMetricGroup());
        roots = parseRoots(allowedRoots);
        http = HttpClient.newBuilder().connectTimeout(httpTimeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    static List<java.nio.file.Path> parseRoots(String value) {
        List<java.nio.file.Path> out = new ArrayList<>();
        for (String r : value.split(",")) {
            if (r.isBlank()) {
                continue;
            }
            java.nio.file.Path p = r.strip().startsWith("file:") ? Paths.get(URI.create(r.strip())) : Paths.get(r.strip());
            try {
                p = p.toRealPath();
            } catch (IOException e) {
                p = p.toAbsolutePath().normalize();
            }
            out.add(p);
        }
        return out;
    }

    @Override
    public void processElement(DocumentTask task, Context ctx, Collector<FetchedDocument> out) {
        if (task.isDelete()) {
            out.collect(new FetchedDocument(task, null, null));
            return;
        }
        try {
            byte[] content = task.contentBase64 != null ? decodeInline(task.contentBase64) : fetch(task.uri);
            task.contentBase64 = null; // the bytes travel on; the text copy is dead weight now
            metrics.bytes.inc(content.length);
            if (content.length == 0) {
                throw new DocumentException("EmptyContent", "Document content is empty");
            }
            String type = settleType(task.contentType, content, task.uri);
            out.collect(new FetchedDocument(task, content, type));
        } catch (DocumentException e) {
            metrics.failures.inc();
            ctx.output(DeadLetters.TAG, DeadLetters.of(task, DeadLetters.FETCH, e.error(), e.getMessage()));
        }
    }

    static String settleType(String declared, byte[] content, String uri) throws DocumentException {
        String detected = ContentTypes.detect(content, uri);
        boolean binary = ContentTypes.PDF.equals(detected) || ContentTypes.PNG.equals(detected) || ContentTypes.JPEG.equals(detected);
        String type = declared == null || binary ? detected : declared;
        if (type == null) {
            throw new DocumentException("UnsupportedContentType", "Cannot detect a supported content type from the bytes");
        }
        return type;
    }

    private byte[] decodeInline(String base64) throws DocumentException {
        if ((long) base64.length() * 3 / 4 > maxInlineBytes) {
            throw new DocumentException("LimitExceeded", "contentBase64 is larger than limits.max-inline-bytes=" + maxInlineBytes);
        }
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new DocumentException("InvalidContent", "contentBase64 is not valid Base64: " + e.getMessage());
        }
    }

    private byte[] fetch(String uriText) throws DocumentException {
        URI uri;
        try {
            uri = new URI(uriText);
        } catch (Exception e) {
            throw new DocumentException("InvalidUri", "Invalid uri: " + uriText);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        try {
            switch (scheme) {
                case "http":
                case "https":
                    return fetchHttp(uri);
                case "file":
                    checkAllowed(uri);
                    return fetchFileSystem(uri);
                case "":
                    throw new DocumentException("InvalidUri", "uri needs a scheme (file://, http(s)://, s3://...): " + uriText);
                default:
                    return fetchFileSystem(uri);
            }
        } catch (FileNotFoundException | NoSuchFileException e) {
            throw new DocumentException("NotFound", "No such file: " + uriText);
        } catch (IOException e) {
            throw new DocumentException("FetchFailed", "Cannot read " + uriText + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DocumentException("FetchFailed", "Interrupted while reading " + uriText);
        }
    }

    /** file:// is read only below an allowed root, after resolving symlinks and "..". */
    private void checkAllowed(URI uri) throws DocumentException, IOException {
        if (roots.isEmpty()) {
            throw new DocumentException("Forbidden", "file:// not allowed (ingest.allowed-roots is empty)");
        }
        java.nio.file.Path path;
        try {
            path = Paths.get(uri);
        } catch (IllegalArgumentException e) {
            throw new DocumentException("InvalidUri", "Invalid file uri: " + uri);
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        java.nio.file.Path real = path.toRealPath();
        for (java.nio.file.Path root : roots) {
            if (real.startsWith(root)) {
                return;
            }
        }
        throw new DocumentException("Forbidden", "file:// not allowed outside ingest.allowed-roots: " + real);
    }

    private byte[] fetchFileSystem(URI uri) throws IOException, DocumentException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem();
        FileStatus status = fs.getFileStatus(path);
        if (status.isDir()) {
            throw new DocumentException("InvalidUri", "uri is a directory: " + uri);
        }
        if (status.getLen() > maxBytes) {
            throw new DocumentException("LimitExceeded", "Document has " + status.getLen() + " bytes, more than limits.max-bytes=" + maxBytes);
        }
        try (InputStream in = fs.open(path)) {
            return readLimited(in);
        }
    }

    private byte[] fetchHttp(URI uri) throws IOException, InterruptedException, DocumentException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(httpTimeout).GET().build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            if (response.statusCode() / 100 != 2) {
                throw new DocumentException(response.statusCode() == 404 ? "NotFound" : "FetchFailed",
                        "GET " + uri + " returned HTTP " + response.statusCode());
            }
            return readLimited(in);
        }
    }

    private byte[] readLimited(InputStream in) throws IOException, DocumentException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > maxBytes) {
                throw new DocumentException("LimitExceeded", "Document is larger than limits.max-bytes=" + maxBytes);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }
}
