package io.streamrag.common.opensearch;

import io.streamrag.common.security.Secrets;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.core.SearchResponse;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OpenSearch connection settings: a user needs a password, no credentials in the URL, TLS trust files are checked. */
class OpenSearchClientsTest {

    @TempDir
    Path dir;

    @Test
    void plainWithoutUser() {
        OpenSearchClients.Settings s = OpenSearchClients.settings(new Configuration());
        assertThat(s.user()).isNull();
        assertThat(s.sslContext()).isNull();
    }

    @Test
    void userWithoutPasswordIsAnErrorAtStart() {
        Configuration conf = new Configuration();
        conf.setString("opensearch.username", "app");
        conf.setString("opensearch.password-env", "STREAMRAG_TEST_UNSET_VARIABLE");
        assertThatThrownBy(() -> OpenSearchClients.settings(conf))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("opensearch.password-file")
                .hasMessageContaining("STREAMRAG_TEST_UNSET_VARIABLE");
        assertThatThrownBy(() -> OpenSearchClients.create("http://127.0.0.1:9200", "app", null))
                .hasMessageContaining("has no password");
    }

    @Test
    void passwordFromAFileAndToStringHidesIt() throws Exception {
        Path file = Files.writeString(dir.resolve("os.password"), "topsecret\n");
        Configuration conf = new Configuration();
        conf.setString("opensearch.username", "app");
        conf.setString("opensearch.password-file", file.toString());
        OpenSearchClients.Settings s = OpenSearchClients.settings(conf);
        assertThat(s.password()).isEqualTo("topsecret");
        assertThat(s.toString()).doesNotContain("topsecret");
    }

    @Test
    void aConnectionTravelsWithoutThePasswordAndResolvesItWhereItIsUsed() throws Exception {
        Path file = Files.writeString(dir.resolve("os.password"), "first\n");
        Configuration conf = new Configuration();
        conf.setString("opensearch.username", "app");
        conf.setString("opensearch.password-file", file.toString());
        byte[] shipped = InstantiationUtil.serializeObject(OpenSearchConnection.from(conf));
        assertThat(new String(shipped, StandardCharsets.ISO_8859_1)).doesNotContain("first");
        Files.writeString(file, "rotated\n");   // read where the operator opens, not where the job was built
        OpenSearchConnection arrived = InstantiationUtil.deserializeObject(shipped, getClass().getClassLoader());
        assertThat(OpenSearchClients.settings(arrived).password()).isEqualTo("rotated");
    }

    @Test
    void credentialsInTheUrlOrInlinePasswordsAreRefused() {
        Configuration url = new Configuration();
        url.setString("opensearch.url", "https://app:pw@127.0.0.1:9201");
        assertThatThrownBy(() -> OpenSearchClients.settings(url)).hasMessageContaining("must not carry credentials");
        Configuration inline = new Configuration();
        inline.setString("opensearch.password", "inline-secret");
        assertThatThrownBy(() -> OpenSearchClients.settings(inline)).hasMessageNotContaining("inline-secret");
    }

    /**
     * A password with an unencoded '@' (java.net.URI then finds neither user info nor host) passed the check and was
     * printed by the settings and by the later failure; one with a character a URI may not hold was printed by the
     * parse error. Every URL option of both jobs is checked so, and no message repeats the password.
     */
    @Test
    void credentialsThatJavaCannotParseAreRefusedToo() {
        for (String url : new String[] {"https://streamrag:P@ssw0rd@opensearch:9200", "https://streamrag:pa ssw0rd@opensearch:9200",
                "https://streamrag:pa%zzssw0rd@opensearch:9200", "https://streamrag:ab/cdssw0rd@opensearch:9200",
                "https://streamrag:12/ssw0rd@opensearch:9200", "https://streamrag:ab#ssw0rd@opensearch:9200",
                "https://streamrag:ab?ssw0rd@opensearch:9200"}) {
            Configuration conf = new Configuration();
            conf.setString("opensearch.url", url);
            assertThatThrownBy(() -> OpenSearchClients.settings(conf)).as(url).hasMessageContaining("must not carry credentials")
                    .hasMessageNotContaining("ssw0rd");
        }
        Configuration bad = new Configuration();
        bad.setString("opensearch.url", "https://open search:9200/?token=s3cr3t");
        assertThatThrownBy(() -> OpenSearchClients.settings(bad)).hasMessageNotContaining("s3cr3t");
        for (String[] option : new String[][] {{"embedding.base-url", "https://svc:s3cr3t@emb.internal/v1"},
                {"vision.base-url", "https://svc:s3cr3t@vision.internal/v1"}, // ingest.vision.base-url's deprecated key
                {"embedding.base-url", "https://emb.internal/v1?api_key=s3cr3t"},
                {"ingest.vision.base-url", "https://vision.internal/v1?token=s3cr3t"}}) {
            Configuration conf = new Configuration();
            conf.setString(option[0], option[1]);
            assertThatThrownBy(() -> OpenSearchClients.settings(conf)).as(option[1]).hasMessageContaining(option[0])
                    .hasMessageContaining("must not carry credentials").hasMessageNotContaining("s3cr3t");
        }
        assertThat(Secrets.masked("https://u:p@h:1/v1?key=k")).isEqualTo("https://***@h:1/v1?***");
        assertThat(Secrets.masked("https://u:a/b@c@h:1/v1")).isEqualTo("https://***@h:1/v1");
        assertThat(Secrets.carriesCredentials("https://h/v1?project_id=1&version=2")).isFalse();
    }

    @Test
    void tlsSettingsOnAPlainHttpUrlAreAnErrorNotIgnored() {
        for (String[] option : new String[][] {{"opensearch.ssl.ca-certificate", "/ca.pem"},
                {"opensearch.ssl.truststore.location", "/t.p12"}, {"opensearch.ssl.verify-hostname", "false"}}) {
            Configuration conf = new Configuration();
            conf.setString("opensearch.url", "http://opensearch.internal:9200");
            conf.setString(option[0], option[1]);
            assertThatThrownBy(() -> OpenSearchClients.settings(conf)).as(option[0])
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not https://");
        }
    }

    @Test
    void httpsTrustFromAPemOrAnErrorForABadFile() throws Exception {
        Configuration both = new Configuration();
        both.setString("opensearch.url", "https://127.0.0.1:9201");
        both.setString("opensearch.ssl.ca-certificate", "/a.pem");
        both.setString("opensearch.ssl.truststore.location", "/t.p12");
        assertThatThrownBy(() -> OpenSearchClients.settings(both)).hasMessageContaining("not both");

        Configuration empty = new Configuration();
        empty.setString("opensearch.url", "https://127.0.0.1:9201");
        empty.setString("opensearch.ssl.ca-certificate", Files.writeString(dir.resolve("empty.pem"), "").toString());
        assertThatThrownBy(() -> OpenSearchClients.settings(empty)).hasMessageContaining("empty.pem");

        Configuration none = new Configuration();
        none.setString("opensearch.url", "https://127.0.0.1:9201");
        assertThat(OpenSearchClients.settings(none).sslContext()).isNull();   // the JVM's default CAs
    }

    @Test
    void httpsChecksTheCertificateAgainstTheHostNameUnlessTurnedOff() throws Exception {
        // A node whose certificate names docs.test only, trusted, reached as 127.0.0.1: the name does not match.
        SSLContext serverTls = serverTls("SAN=dns:docs.test");
        AtomicInteger requests = new AtomicInteger();
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        server.start();
        try {
            String url = "https://127.0.0.1:" + server.getAddress().getPort();
            SSLContext trust = trusting(serverTls);
            OpenSearchClient checked = OpenSearchClients.create(new OpenSearchClients.Settings(url, null, null, trust, true));
            assertThatThrownBy(() -> checked.info()).hasStackTraceContaining("127.0.0.1");
            assertThat(requests.get()).as("no request goes to a node whose certificate names another host").isZero();
            checked._transport().close();

            OpenSearchClient unchecked = OpenSearchClients.create(new OpenSearchClients.Settings(url, null, null, trust, false));
            assertThatThrownBy(() -> unchecked.info()); // the node answers 500, but it was reached
            assertThat(requests.get()).isEqualTo(1);
            unchecked._transport().close();
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anHttpsNodeThatDropsConnectsIsGivenUpOnAfterTheConnectTimeout() throws Exception {
        // A loopback listener that never accepts, its backlog filled: Linux drops further SYNs, as a dead host would.
        try (java.net.ServerSocket full = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            java.util.List<java.net.Socket> queued = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    java.net.Socket s = new java.net.Socket();
                    try {
                        s.connect(full.getLocalSocketAddress(), 200);
                        queued.add(s);
                    } catch (java.net.SocketTimeoutException dropped) {
                        s.close();
                        break;
                    }
                }
                String url = "https://127.0.0.1:" + full.getLocalPort();
                OpenSearchClient client = OpenSearchClients.create(new OpenSearchClients.Settings(url, null, null, null, true));
                try {
                    // httpclient5's own default is 3 minutes; the transport's 1 s must hold over https too.
                    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () ->
                            assertThatThrownBy(client::info)
                                    .hasRootCauseInstanceOf(org.apache.hc.client5.http.ConnectTimeoutException.class));
                } finally {
                    client._transport().close();
                }
            } finally {
                for (java.net.Socket s : queued) {
                    s.close();
                }
            }
        }
    }

    /** A server TLS context with a fresh self-signed certificate for CN=docs.test with the subject alternative names {@code san}. */
    private SSLContext serverTls(String san) throws Exception {
        Path keys = dir.resolve("node.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=docs.test",
                "-ext", san, "-validity", "2", "-storetype", "PKCS12", "-keystore", keys.toString(),
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keys)) {
            keyStore.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        serverCertificate = keyStore.getCertificate("node");
        return tls;
    }

    private java.security.cert.Certificate serverCertificate;

    /** A client TLS context that trusts the certificate {@link #serverTls} made last. */
    private SSLContext trusting(SSLContext serverTls) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("node", serverCertificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return tls;
    }
    /** A search answer whose {@code failed} shards failed with {@code type} (OpenSearch's answer: 200, the others' hits). */
    private static SearchResponse<Void> answered(int failed, String type) {
        return SearchResponse.<Void>searchResponseOf(r -> r.took(1).timedOut(false)
                .shards(sh -> {
                    sh.total(3).successful(3 - failed).failed(failed);
                    for (int i = 0; i < failed; i++) {
                        int shard = i;
                        sh.failures(f -> f.index("chunks-v1").shard(shard).reason(e -> e.type(type).reason("shard " + shard)));
                    }
                    return sh;
                })
                .hits(h -> h.hits(java.util.List.of())));
    }

    @Test
    void aSearchSomeShardsFailedForAPassingReasonIsRetriedAndOneNoRetryMendsGoesOnWithTheRest() throws Exception {
        SearchResponse<Void> all = answered(0, null);
        assertThat(OpenSearchClients.allShards(all, "Searching")).isSameAs(all);
        for (String passing : new String[] {"rejected_execution_exception", "circuit_breaking_exception", "no_shard_available_action_exception",
                "node_disconnected_exception"}) {
            assertThatThrownBy(() -> OpenSearchClients.allShards(answered(1, passing), "Searching the chunks to delete"))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessage("Searching the chunks to delete: 1 of 3 shards failed (chunks-v1[0]: " + passing + ": shard 0)")
                    .satisfies(e -> assertThat(OpenSearchClients.retriable((Exception) e)).isTrue());
        }
        // A mapping conflict in another index under the alias fails on every try: the answering shards are what there is.
        SearchResponse<Void> conflict = answered(1, "query_shard_exception");
        assertThat(OpenSearchClients.allShards(conflict, "Searching")).isSameAs(conflict);
    }
}
