package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.fetch.FetchSettings;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.FetchedDocument;
import io.streamrag.ingest.testing.TestDocuments;

import com.sun.net.httpserver.HttpServer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Content resolution: inline, http, file:// under allowed roots only (symlinks resolved), limits, type detection. */
class FetchContentTest {

    @TempDir
    Path dir;

    private static DocumentTask task(String id, String uri, String base64) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.op = Op.UPSERT.name();
        t.uri = uri;
        t.contentBase64 = base64;
        return t;
    }

    @Test
    void resolvesContentAndDeadLettersWhatItMustNotRead() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "top secret");
        Files.writeString(allowed.resolve("notes.md"), "# Notes\n\nhello");
        Files.write(allowed.resolve("doc.bin"), TestDocuments.pdf(List.of(List.of("x"))));
        Files.createSymbolicLink(allowed.resolve("escape.txt"), secret);
        Files.write(allowed.resolve("big.txt"), new byte[2048]);

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/page.html", ex -> {
            byte[] body = "<html><body><p>hi</p></body></html>".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.createContext("/gone", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();

        Configuration conf = new Configuration();
        conf.set(IngestOptions.ALLOWED_ROOTS, allowed.toString());
        conf.set(IngestOptions.LIMITS_MAX_BYTES, MemorySize.parse("1k"));
        conf.set(IngestOptions.FETCH_ALLOWED_HOSTS, List.of("127.0.0.1"));
        conf.set(IngestOptions.FETCH_ALLOWED_ADDRESSES, List.of("127.0.0.1:" + server.getAddress().getPort()));
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(FetchSettings.from(conf))))) {
            h.open();
            h.processElement(task("inline", null, Base64.getEncoder().encodeToString("plain words".getBytes(StandardCharsets.UTF_8))), 1);
            h.processElement(task("md", allowed.resolve("notes.md").toUri().toString(), null), 1);
            h.processElement(task("pdf", allowed.resolve("doc.bin").toUri().toString(), null), 1);
            h.processElement(task("http", base + "/page.html", null), 1);
            h.processElement(task("gone", base + "/gone", null), 1);
            h.processElement(task("outside", secret.toUri().toString(), null), 1);
            h.processElement(task("symlink", allowed.resolve("escape.txt").toUri().toString(), null), 1);
            h.processElement(task("dotdot", allowed.toUri() + "../secret.txt", null), 1);
            h.processElement(task("big", allowed.resolve("big.txt").toUri().toString(), null), 1);
            h.processElement(task("badb64", null, "!!!not base64!!!"), 1);

            List<String> ok = h.extractOutputValues().stream()
                    .map(f -> f.task.documentId + ":" + f.contentType).collect(Collectors.toList());
            assertThat(ok).containsExactly("inline:" + ContentTypes.TEXT, "md:" + ContentTypes.MARKDOWN,
                    "pdf:" + ContentTypes.PDF, "http:" + ContentTypes.HTML);
            FetchedDocument md = h.extractOutputValues().get(1);
            assertThat(new String(md.content, StandardCharsets.UTF_8)).contains("hello");
            assertThat(md.task.contentBase64).isNull();

            List<String> dead = h.getSideOutput(DeadLetters.TAG).stream()
                    .map(r -> ((StreamRecord<FailedDocument>) r).getValue())
                    .map(f -> f.documentId + ":" + f.stage + ":" + f.error).collect(Collectors.toList());
            assertThat(dead).containsExactly("gone:fetch:NotFound", "outside:fetch:Forbidden", "symlink:fetch:Forbidden",
                    "dotdot:fetch:Forbidden", "big:fetch:LimitExceeded", "badb64:fetch:InvalidContent");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void noAllowedRootsMeansNoFiles() throws Exception {
        Path file = Files.writeString(dir.resolve("a.txt"), "text");
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(FetchSettings.from(new Configuration()))))) {
            h.open();
            h.processElement(task("a", file.toUri().toString(), null), 1);
            assertThat(h.extractOutputValues()).isEmpty();
            FailedDocument f = (FailedDocument) h.getSideOutput(DeadLetters.TAG).peek().getValue();
            assertThat(f.error).isEqualTo("Forbidden");
            assertThat(f.message).contains("file:// not allowed");
        }
    }

    @Test
    void tenantRootsKeepEachTenantInItsOwnFolder() throws Exception {
        Files.createDirectories(dir.resolve("data/acme"));
        Files.createDirectories(dir.resolve("data/globex"));
        Path mine = Files.writeString(dir.resolve("data/acme/a.txt"), "acme text");
        Path theirs = Files.writeString(dir.resolve("data/globex/g.txt"), "globex text");
        Configuration conf = new Configuration();
        conf.set(IngestOptions.ALLOWED_ROOTS, dir.resolve("data").toString() + "/{tenant}");
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(FetchSettings.from(conf))))) {
            h.open();
            h.processElement(task("mine", mine.toUri().toString(), null), 1);
            h.processElement(task("theirs", theirs.toUri().toString(), null), 1);
            h.processElement(task("theirs-missing", dir.resolve("data/globex/nope.txt").toUri().toString(), null), 1);
            DocumentTask odd = task("odd-tenant", mine.toUri().toString(), null);
            odd.tenant = "..";
            h.processElement(odd, 1);
            assertThat(h.extractOutputValues()).extracting(f -> f.task.documentId).containsExactly("mine");
            // A file of another tenant is refused whether or not it exists: no existence oracle.
            assertThat(h.getSideOutput(DeadLetters.TAG).stream().map(r -> ((StreamRecord<FailedDocument>) r).getValue())
                    .map(f -> f.documentId + ":" + f.error).collect(Collectors.toList()))
                    .containsExactly("theirs:Forbidden", "theirs-missing:Forbidden", "odd-tenant:Forbidden");
        }
    }

    @Test
    void dotDotAfterASymlinkAndSpecialFilesAreRefused() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("acme"));
        Files.createDirectories(data.resolve("globex/inner"));
        Files.writeString(data.resolve("globex/secret.txt"), "globex confidential");
        // acme's link into globex's folder, and a decoy where the check's lexical ".." resolution lands.
        Files.createSymbolicLink(data.resolve("acme/link"), data.resolve("globex/inner"));
        Files.writeString(data.resolve("acme/secret.txt"), "decoy");
        Path fifo = data.resolve("acme/pipe");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        Configuration conf = new Configuration();
        conf.set(IngestOptions.ALLOWED_ROOTS, data + "/{tenant}");
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(FetchSettings.from(conf))))) {
            h.open();
            h.processElement(task("steal", data.resolve("acme").toUri() + "link/../secret.txt", null), 1);
            h.processElement(task("encoded", data.resolve("acme").toUri() + "link/%2E%2E/secret.txt", null), 1);
            // A FIFO would block the task thread in open() until someone writes to it.
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                    () -> h.processElement(task("fifo", fifo.toUri().toString(), null), 1));
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(h.getSideOutput(DeadLetters.TAG).stream().map(r -> ((StreamRecord<FailedDocument>) r).getValue())
                    .map(f -> f.documentId + ":" + f.error).collect(Collectors.toList()))
                    .containsExactly("steal:Forbidden", "encoded:Forbidden", "fifo:Forbidden");
        }
    }

    @Test
    void theCheckedPathIsReadWithoutFollowingALinkPutInItsWayLater() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("acme/sub"));
        Files.writeString(root.resolve("acme/sub/a.txt"), "acme text");
        Files.createDirectories(root.resolve("globex"));
        Files.writeString(root.resolve("globex/a.txt"), "globex text");
        Configuration conf = new Configuration();
        conf.set(IngestOptions.ALLOWED_ROOTS, root + "/{tenant}");
        FetchSettings settings = FetchSettings.from(conf);
        java.net.URI uri = root.resolve("acme/sub/a.txt").toUri();
        Path checked = settings.policy().checkFile(uri, "acme");
        Path from = settings.policy().rootOf(checked, "acme");
        assertThat(from).isEqualTo(root.resolve("acme").toRealPath());
        FetchContent fetch = new FetchContent(settings);
        assertThat(new String(fetch.readFile(from, checked, uri), StandardCharsets.UTF_8)).isEqualTo("acme text");
        // Between the check and the read, the checked folder becomes a link to another tenant's.
        Files.move(root.resolve("acme/sub"), root.resolve("acme/moved"));
        Files.createSymbolicLink(root.resolve("acme/sub"), root.resolve("globex"));
        assertThatThrownBy(() -> fetch.readFile(from, checked, uri)).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void httpFollowsRedirectsOnlyWhereThePolicyAllowsWithinTimeAndSize() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", ex -> {
            byte[] body = "internal secret".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        String otherBase = "http://127.0.0.1:" + other.getAddress().getPort();
        server.createContext("/doc.txt", ex -> {
            byte[] body = "allowed words".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.createContext("/hop", ex -> redirect(ex, "/doc.txt"));
        server.createContext("/to-other", ex -> redirect(ex, otherBase + "/"));
        server.createContext("/to-localhost", ex -> redirect(ex, "http://localhost:" + other.getAddress().getPort() + "/"));
        server.createContext("/to-file", ex -> redirect(ex, "file:///etc/hostname"));
        server.createContext("/loop", ex -> redirect(ex, "/loop"));
        server.createContext("/huge", ex -> {
            ex.sendResponseHeaders(200, 0); // chunked, no length to check up front
            byte[] kb = new byte[1024];
            try {
                for (int i = 0; i < 64; i++) {
                    ex.getResponseBody().write(kb);
                }
            } catch (java.io.IOException e) {
                // the client hung up at the cap
            }
            ex.close();
        });
        server.createContext("/drip", ex -> {
            ex.sendResponseHeaders(200, 0);
            try {
                for (int i = 0; i < 40; i++) {
                    ex.getResponseBody().write('x');
                    ex.getResponseBody().flush();
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                // the client hung up at its deadline
            }
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        other.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();

        Configuration conf = new Configuration();
        conf.set(IngestOptions.LIMITS_MAX_BYTES, MemorySize.parse("16k"));
        conf.set(IngestOptions.FETCH_TOTAL_TIMEOUT, java.time.Duration.ofSeconds(1));
        conf.set(IngestOptions.FETCH_MAX_REDIRECTS, 3);
        conf.set(IngestOptions.FETCH_ALLOWED_HOSTS, List.of("127.0.0.1", "localhost"));
        conf.set(IngestOptions.FETCH_ALLOWED_ADDRESSES, List.of("127.0.0.1:" + server.getAddress().getPort()));
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(FetchSettings.from(conf))))) {
            h.open();
            for (String path : new String[] {"/doc.txt", "/hop", "/to-other", "/to-localhost", "/to-file", "/loop", "/huge", "/drip"}) {
                h.processElement(task(path, base + path, null), 1);
            }
            h.processElement(task("direct-other", otherBase + "/", null), 1);
            assertThat(h.extractOutputValues()).extracting(f -> f.task.documentId + "=" + new String(f.content, StandardCharsets.UTF_8))
                    .containsExactly("/doc.txt=allowed words", "/hop=allowed words");
            List<FailedDocument> dead = h.getSideOutput(DeadLetters.TAG).stream()
                    .map(r -> ((StreamRecord<FailedDocument>) r).getValue()).collect(Collectors.toList());
            assertThat(dead).extracting(f -> f.documentId + ":" + f.stage + ":" + f.error).containsExactly(
                    "/to-other:fetch:Forbidden", "/to-localhost:fetch:Forbidden", "/to-file:fetch:Forbidden",
                    "/loop:fetch:TooManyRedirects", "/huge:fetch:LimitExceeded", "/drip:fetch:Timeout",
                    "direct-other:fetch:Forbidden");
            assertThat(dead.get(0).message).contains("Redirect 1", "loopback", "port " + other.getAddress().getPort());
            assertThat(dead.get(2).message).contains("Only http(s)");
        } finally {
            server.stop(0);
            other.stop(0);
        }
    }

    @Test
    void anInterruptedFetchStopsItsDownload() throws Exception {
        // The task thread is interrupted (the job is cancelled) while a slow body arrives: the exchange must be
        // cancelled, not left downloading (up to the size limit) on the client's own threads.
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch clientGone = new java.util.concurrent.CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/slow", ex -> {
            ex.sendResponseHeaders(200, 0);
            started.countDown();
            try {
                for (int i = 0; i < 300; i++) { // 30 s of body
                    ex.getResponseBody().write(new byte[512]);
                    ex.getResponseBody().flush();
                    Thread.sleep(100);
                }
            } catch (java.io.IOException e) {
                clientGone.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        Configuration conf = new Configuration();
        conf.set(IngestOptions.LIMITS_MAX_BYTES, MemorySize.parse("100m"));
        conf.set(IngestOptions.FETCH_TOTAL_TIMEOUT, java.time.Duration.ofMinutes(1));
        conf.set(IngestOptions.FETCH_ALLOWED_HOSTS, List.of("127.0.0.1"));
        conf.set(IngestOptions.FETCH_ALLOWED_ADDRESSES, List.of("127.0.0.1:" + server.getAddress().getPort()));
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(FetchSettings.from(conf))))) {
            h.open();
            Thread task = new Thread(() -> {
                try {
                    h.processElement(task("slow", "http://127.0.0.1:" + server.getAddress().getPort() + "/slow", null), 1);
                } catch (Exception e) {
                    // what the interrupt makes of it is not the point here
                }
            });
            task.start();
            assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            task.interrupt();
            task.join(10_000);
            assertThat(clientGone.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the download went on").isTrue();
        } finally {
            server.stop(0);
        }
    }

    private static void redirect(com.sun.net.httpserver.HttpExchange ex, String location) throws java.io.IOException {
        ex.getResponseHeaders().add("Location", location);
        ex.sendResponseHeaders(302, -1);
        ex.close();
    }
}
