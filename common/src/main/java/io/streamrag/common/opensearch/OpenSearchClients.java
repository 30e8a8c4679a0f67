package io.streamrag.common.opensearch;

import io.streamrag.common.security.Secrets;
import io.streamrag.common.security.SecurityOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HttpsSupport;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.ssl.SSLContexts;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.util.Timeout;
import org.opensearch.client.json.jackson.JacksonJsonpMapper;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.OpenSearchException;
import org.opensearch.client.opensearch._types.ErrorCause;
import org.opensearch.client.opensearch._types.ShardFailure;
import org.opensearch.client.opensearch._types.ShardStatistics;
import org.opensearch.client.opensearch.core.SearchResponse;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.httpclient5.ApacheHttpClient5TransportBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds {@link OpenSearchClient}s from configuration (URL, basic auth with a password from a file or environment
 * variable, TLS verified against a PEM CA or a truststore); callers close the transport they get.
 */
public final class OpenSearchClients {
    private static final Logger LOG = LoggerFactory.getLogger(OpenSearchClients.class);

    /** The transport's own pool sizes, kept when a TLS connection manager replaces its default one. */
    private static final int MAX_CONNECTIONS_PER_ROUTE = 10;
    private static final int MAX_CONNECTIONS_TOTAL = 30;
    /** How long {@link #create(Settings)}'s requests wait for the answer (the job's own requests). */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** Longest wait for a pooled connection (or {@code timeout}, when shorter). */
    private static final long CONNECTION_REQUEST_TIMEOUT_MS = 10_000;
    /** The transport's own connect timeout; a TLS connection manager must set it again (else httpclient5's 3 min). */
    private static final long CONNECT_TIMEOUT_MS = 1_000;
    /** The transport's own socket (inactivity) timeout, set again with the connect timeout. */
    private static final long SOCKET_TIMEOUT_MS = 30_000;

    private OpenSearchClients() {}

    /** Connection settings resolved from configuration: the password is read here, never stored in options. */
    public record Settings(String url, String user, String password, SSLContext sslContext, boolean verifyHostname) {
        public Settings {
            if (user != null && password == null) {
                throw new IllegalArgumentException("OpenSearch user '" + user + "' has no password");
            }
        }

        @Override
        public String toString() {   // never print the password
            return "OpenSearch " + Secrets.masked(url) + (user == null ? "" : " as " + user);
        }
    }

    /**
     * Reads and checks the connection settings: a configured user without a password, credentials inside the URL,
     * TLS files that cannot be read, or a secret in the configuration itself are errors.
     */
    public static Settings settings(Configuration conf) {
        return settings(OpenSearchConnection.from(conf));
    }

    /** Resolves a connection: reads its password and TLS files (where the caller runs), with the checks of {@link #settings(Configuration)}. */
    public static Settings settings(OpenSearchConnection c) {
        if (Secrets.carriesCredentials(c.url())) {
            throw new IllegalArgumentException("opensearch.url must not carry credentials: use opensearch.username "
                    + "and opensearch.password-file (or the environment variable named by opensearch.password-env): "
                    + Secrets.masked(c.url()));
        }
        URI uri = parse(c.url());
        String user = c.username();
        String password = null;
        if (user != null && !user.isBlank()) {
            password = Secrets.require("OpenSearch user '" + user + "'", c.passwordFile(),
                    SecurityOptions.OPENSEARCH_PASSWORD_FILE.key(), c.passwordEnv());
        } else {
            user = null;
        }
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        if (!https && (c.caCertificate() != null || c.truststoreLocation() != null || !c.verifyHostname())) {
            // Dropped silently before: the operator believed in TLS while the password went in clear text.
            throw new IllegalArgumentException("opensearch.ssl.* is set but opensearch.url " + c.url()
                    + " is not https://: TLS settings apply to https:// URLs only");
        }
        SSLContext ssl = https ? sslContext(c) : null;
        return new Settings(c.url(), user, password, ssl, c.verifyHostname());
    }

    public static OpenSearchClient create(Configuration conf) {
        return create(settings(conf));
    }

    /** A client for {@code connection}, its secrets read here: call it in {@code open()}. */
    public static OpenSearchClient create(OpenSearchConnection connection) {
        return create(settings(connection));
    }

    public static OpenSearchClient create(String url) {
        return create(new Settings(url, null, null, null, true));
    }

    /** Plain or basic auth without TLS settings (the JVM's default CAs for https). */
    public static OpenSearchClient create(String url, String user, String password) {
        return create(new Settings(url, user, password, null, true));
    }

    public static OpenSearchClient create(Settings settings) {
        return create(settings, REQUEST_TIMEOUT);
    }

    /**
     * The longest one request of a client made by {@link #create(Settings)} can take before it fails: the wait for a
     * pooled connection, the connect and the wait for the answer. A retry budget keeps this much for its last call
     * ({@code Backoff.withLastCall}).
     */
    public static Duration longestCall() {
        return longestCall(REQUEST_TIMEOUT);
    }

    /** {@link #longestCall()} of a client made with {@code timeout}. */
    public static Duration longestCall(Duration timeout) {
        long wait = Math.max(1, timeout.toMillis());
        return Duration.ofMillis(Math.min(wait, CONNECTION_REQUEST_TIMEOUT_MS) + CONNECT_TIMEOUT_MS + wait);
    }

    /**
     * A client whose requests give up waiting for a pooled connection, or for the response, after {@code timeout}
     * (60 s for the job's own requests); a health probe wants a few seconds.
     */
    public static OpenSearchClient create(Settings settings, Duration timeout) {
        Timeout wait = Timeout.ofMilliseconds(Math.max(1, timeout.toMillis()));
        Timeout connectionRequest = Timeout.ofMilliseconds(Math.min(wait.toMilliseconds(), CONNECTION_REQUEST_TIMEOUT_MS));
        HttpHost host = HttpHost.create(parse(settings.url()));
        OpenSearchTransport transport =
                ApacheHttpClient5TransportBuilder.builder(host)
                        .setMapper(new JacksonJsonpMapper())
                        .setHttpClientConfigCallback(http -> {
                            if (settings.user() != null) {
                                BasicCredentialsProvider credentials = new BasicCredentialsProvider();
                                credentials.setCredentials(new AuthScope(host),
                                        new UsernamePasswordCredentials(settings.user(), settings.password().toCharArray()));
                                http.setDefaultCredentialsProvider(credentials);
                            }
                            if (host.getSchemeName().equalsIgnoreCase("https")) {
                                // Always an explicit verifier: httpclient5 5.4's default leaves the host-name check to
                                // JSSE, which its async client never turns on, so a certificate for another name passed.
                                ClientTlsStrategyBuilder tls = ClientTlsStrategyBuilder.create()
                                        .setSslContext(settings.sslContext() != null ? settings.sslContext() : SSLContexts.createSystemDefault())
                                        .setHostnameVerifier(settings.verifyHostname() ? HttpsSupport.getDefaultHostnameVerifier() : NoopHostnameVerifier.INSTANCE);
                                http.setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                                        .setTlsStrategy(tls.build())
                                        .setMaxConnPerRoute(MAX_CONNECTIONS_PER_ROUTE)
                                        .setMaxConnTotal(MAX_CONNECTIONS_TOTAL)
                                        // The transport set these on the manager this one replaces: without them a
                                        // node whose packets are dropped held each connect for minutes, not 1 s.
                                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                                .setConnectTimeout(Timeout.ofMilliseconds(CONNECT_TIMEOUT_MS))
                                                .setSocketTimeout(Timeout.ofMilliseconds(SOCKET_TIMEOUT_MS))
                                                .build())
                                        .build());
                            }
                            return http;
                        })
                        .setRequestConfigCallback(request -> request
                                .setConnectionRequestTimeout(connectionRequest)
                                .setResponseTimeout(wait))
                        .build();
        return new OpenSearchClient(transport);
    }

    /** Trust from a PEM CA file or a truststore; {@code null} (the JVM's default CAs) when neither is set. */
    static SSLContext sslContext(OpenSearchConnection connection) {
        String ca = connection.caCertificate();
        String store = connection.truststoreLocation();
        if (ca != null && store != null) {
            throw new IllegalArgumentException("Set opensearch.ssl.ca-certificate or opensearch.ssl.truststore.location, not both");
        }
        if (ca == null && store == null) {
            return null;
        }
        try {
            KeyStore trust;
            if (ca != null) {
                trust = KeyStore.getInstance(KeyStore.getDefaultType());
                trust.load(null, null);
                try (InputStream in = Files.newInputStream(Path.of(ca))) {
                    int i = 0;
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        trust.setCertificateEntry("ca-" + i++, c);
                    }
                    if (i == 0) {
                        throw new IllegalArgumentException("opensearch.ssl.ca-certificate " + ca + " holds no certificate");
                    }
                }
            } else {
                String password = Secrets.read("OpenSearch truststore " + store, connection.truststorePasswordFile(),
                        connection.truststorePasswordEnv());
                trust = KeyStore.getInstance(connection.truststoreType());
                try (InputStream in = Files.newInputStream(Path.of(store))) {
                    trust.load(in, password == null ? null : password.toCharArray());
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            // the message of a wrong store password is generic ("keystore password was incorrect"), never the password
            throw new IllegalArgumentException("Cannot load the OpenSearch CA/truststore " + (ca != null ? ca : store)
                    + ": " + e.getMessage(), e);
        }
    }

    private static URI parse(String url) {
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            // The reason and where, not the input: a URL that fails to parse may hold a password.
            throw new IllegalArgumentException("Invalid OpenSearch URL " + Secrets.masked(url) + ": " + e.getReason()
                    + " at index " + e.getIndex());
        }
    }

    /** Closes the client's transport, turning the checked exception into an unchecked one. */
    public static void close(OpenSearchClient client) {
        if (client == null) {
            return;
        }
        try {
            client._transport().close();
        } catch (IOException e) {
            throw new UncheckedIOException("Closing the OpenSearch transport failed", e);
        }
    }

    /**
     * Whether a failed request is worth waiting out: I/O (refused, reset, timeout; the transport also throws 401 and
     * 403 answers as I/O errors), server-side errors (5xx, 429) and the errors of an index or cluster that cannot
     * write now ({@link #transientError}); not malformed requests.
     */
    public static boolean retriable(Exception e) {
        if (e instanceof OpenSearchException) {
            OpenSearchException o = (OpenSearchException) e;
            return transientError(o.status(), o.error() == null ? null : o.error().type());
        }
        return e instanceof IOException;
    }

    /**
     * Shard failures OpenSearch gets over by itself: a full search queue, a tripped circuit breaker, a shard that is
     * moving or unassigned, a node that left. (Not, say, a mapping conflict in another index under the alias, or a
     * query a shard cannot run: those fail every time.)
     */
    private static final List<String> TRANSIENT_SHARD_FAILURES = List.of("rejected_execution", "circuit_breaking",
            "no_shard_available", "shard_not_found", "illegal_index_shard_state", "node_disconnected", "node_not_connected",
            "node_closed", "connect_transport", "receive_timeout_transport", "task_cancelled");
    private static final AtomicLong LAST_INCOMPLETE_WARNING = new AtomicLong();

    /**
     * {@code response} if every shard answered it. When some failed (OpenSearch still answers 200 with what the others
     * found) for a passing reason, throws an {@link IOException}, retried as an outage is: a search whose "no hits"
     * decides what is deleted, or what a question is answered from, must not take a shard under load for one without
     * matches. A failure no retry mends is logged (at most once a minute) and the answering shards' hits are used, as
     * before: retried, it failed every clean-up and every question until their budgets ran out, job restart after
     * restart.
     */
    public static <T extends SearchResponse<?>> T allShards(T response, String what) throws IOException {
        ShardStatistics shards = response.shards();
        if (shards == null || shards.failed().intValue() == 0) {
            return response;
        }
        String message = what + ": " + shards.failed() + " of " + shards.total() + " shards failed ("
                + (shards.failures().isEmpty() ? "no reason given" : describe(shards.failures().get(0))) + ")";
        if (shards.failures().isEmpty() || shards.failures().stream().allMatch(OpenSearchClients::passing)) {
            throw new IOException(message);
        }
        long now = System.currentTimeMillis();
        long last = LAST_INCOMPLETE_WARNING.get();
        if (now - last >= 60_000 && LAST_INCOMPLETE_WARNING.compareAndSet(last, now)) {
            LOG.warn("{}; going on with the shards that answered: no retry mends this failure (warned at most once a minute)", message);
        }
        return response;
    }

    private static boolean passing(ShardFailure failure) {
        for (ErrorCause c = failure.reason(); c != null; c = c.causedBy()) {
            String type = c.type() == null ? "" : c.type();
            if (TRANSIENT_SHARD_FAILURES.stream().anyMatch(type::contains)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(ShardFailure failure) {
        return failure.index() + "[" + failure.shard() + "]: " + failure.reason().type() + ": " + failure.reason().reason();
    }

    /**
     * Whether an HTTP status of OpenSearch, for a whole request or one item of a bulk response, says it cannot serve
     * now rather than that the request is wrong: 429 (back-pressure: a full write queue, a flood-stage block) and 5xx
     * (e.g. 503 of a red index's unavailable shards). Part of {@link #transientError}, which adds the error types that
     * say so with another status.
     */
    public static boolean transientStatus(int status) {
        return status >= 500 || status == 429;
    }

    /**
     * Error types that say OpenSearch cannot serve now whatever their status, so no document or request is at fault:
     * a write block (403 for {@code index.blocks.write}, {@code read_only} or {@code cluster.blocks.read_only}; only the
     * flood stage's {@code read_only_allow_delete} answers 429), a closed index (400), and the security plugin refusing
     * the job's user (403): its setup's, the same for every document, so an item refused so fails the job over after the
     * budget instead of dead-lettering every document (the transport already throws a request refused with 403 as I/O).
     */
    private static final Set<String> OUTAGE_ERRORS = Set.of("cluster_block_exception", "index_closed_exception", "security_exception");

    /**
     * Whether an error of OpenSearch, for a whole request or one item of a bulk response, is an outage to wait out
     * rather than the request's or the document's fault: {@link #transientStatus}, or an error {@code type} of a
     * blocked or closed index, or of a refused user. The one definition {@link #retriable}, the bulk writers and the dependency probe share.
     */
    public static boolean transientError(int status, String type) {
        return transientStatus(status) || type != null && OUTAGE_ERRORS.contains(type);
    }
}
