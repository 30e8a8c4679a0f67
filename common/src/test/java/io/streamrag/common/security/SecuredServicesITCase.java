package io.streamrag.common.security;

import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.LogCapture;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.common.testing.SecureServices;

import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.generic.Requests;

import javax.net.ssl.SSLException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The secured local Kafka (SASL_SSL, SCRAM-SHA-512) and OpenSearch (HTTPS, basic auth) accept the configured
 * clients and refuse wrong passwords, plaintext and unverified TLS, with errors and logs that never show a password.
 */
class SecuredServicesITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = KafkaExtension.secured();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = OpenSearchExtension.secured();

    private static LogCapture logs;

    @TempDir
    Path dir;

    @BeforeAll
    static void captureLogs() {
        logs = LogCapture.start();
    }

    @AfterAll
    static void noSecretInLogs() {
        logs.close();
        // The capture saw the clients' configuration dumps, where a password would show first.
        assertThat(logs.events()).anyMatch(e -> e.contains("sasl.jaas.config = [hidden]"));
        logs.events().forEach(e -> SecureServices.assertNoSecret("log event", e));
    }

    @Test
    void kafkaRoundTripOverSaslSsl() {
        String topic = KAFKA.createTopic("secured-roundtrip", 1);
        KAFKA.send(topic, "k", "hello over TLS");
        assertThat(KAFKA.readCommitted(topic, r -> !r.isEmpty(), Duration.ofSeconds(30)))
                .extracting(r -> r.value()).containsExactly("hello over TLS");
    }

    @Test
    void kafkaRefusesAWrongPasswordWithoutShowingIt() throws Exception {
        String wrong = "wrong-" + SecureServices.secret("kafka");
        Configuration conf = KAFKA.clientConf();
        conf.set(SecurityOptions.KAFKA_SASL_PASSWORD_FILE, Files.writeString(dir.resolve("wrong"), wrong).toString());
        Properties props = KafkaClientSettings.properties(conf);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(props)) {
            Throwable error = catchCause(() -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertThat(error).isInstanceOf(SaslAuthenticationException.class);
            SecureServices.assertNoSecret("authentication error", error);
            assertThat(stackTrace(error)).doesNotContain(wrong);
        }
    }

    @Test
    void kafkaRefusesPlaintextOnTheSecuredListener() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SecureServices.KAFKA_BOOTSTRAP);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        try (Admin admin = Admin.create(props)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        }
    }

    @Test
    void openSearchAnswersTheConfiguredUserOverTls() throws Exception {
        assertThat(OPENSEARCH.client().info().version().number()).isNotBlank();
        assertThat(OPENSEARCH.client().cat().plugins().valueBody())
                .extracting(p -> p.component()).contains("opensearch-security", "opensearch-knn");
    }

    @Test
    void theApplicationUserCannotAdministerSecurityAndNoDemoAdminExists() {
        Throwable users = catchCause(() -> OPENSEARCH.client().generic().execute(
                Requests.builder().method("GET").endpoint("/_plugins/_security/api/internalusers").build()));
        assertThat(stackTrace(users)).contains("Forbidden");   // 403: authenticated, not allowed
        OpenSearchClient demoAdmin = OpenSearchClients.create(new OpenSearchClients.Settings(SecureServices.OPENSEARCH_URL,
                "admin", "admin", OpenSearchClients.settings(OPENSEARCH.clientConf()).sslContext(), true));
        try {
            assertThat(stackTrace(catchCause(() -> demoAdmin.info()))).contains("401");
        } finally {
            OpenSearchClients.close(demoAdmin);
        }
    }

    @Test
    void openSearchRefusesAWrongPasswordWithoutShowingIt() throws Exception {
        String wrong = "wrong-" + SecureServices.secret("opensearch");
        Configuration conf = OPENSEARCH.clientConf();
        conf.set(SecurityOptions.OPENSEARCH_PASSWORD_FILE, Files.writeString(dir.resolve("wrong"), wrong).toString());
        OpenSearchClient client = OpenSearchClients.create(conf);
        try {
            Throwable error = catchCause(() -> client.info());
            assertThat(stackTrace(error)).contains("401").doesNotContain(wrong);
            SecureServices.assertNoSecret("authentication error", error);
        } finally {
            OpenSearchClients.close(client);
        }
    }

    @Test
    void openSearchCertificateIsVerified() {
        Configuration conf = OPENSEARCH.clientConf();
        conf.removeConfig(SecurityOptions.OPENSEARCH_CA_CERTIFICATE);   // the JVM's CAs do not know the local CA
        OpenSearchClient client = OpenSearchClients.create(conf);
        try {
            Throwable error = catchCause(() -> client.info());
            assertThat(causes(error)).anyMatch(c -> c instanceof SSLException);
            SecureServices.assertNoSecret("TLS error", error);
        } finally {
            OpenSearchClients.close(client);
        }
    }

    @Test
    void openSearchRefusesPlainHttp() {
        OpenSearchClient client = OpenSearchClients.create("http://127.0.0.1:9201");
        try {
            assertThatThrownBy(() -> client.info()).isNotNull();
        } finally {
            OpenSearchClients.close(client);
        }
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static Throwable catchCause(Call call) {
        try {
            call.run();
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }

    private static java.util.List<Throwable> causes(Throwable t) {
        java.util.List<Throwable> all = new java.util.ArrayList<>();
        for (Throwable c = t; c != null && !all.contains(c); c = c.getCause()) {
            all.add(c);
        }
        return all;
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }
}
