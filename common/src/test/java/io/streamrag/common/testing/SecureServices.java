package io.streamrag.common.testing;

import io.streamrag.common.security.SecurityOptions;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The secured local services of {@code deploy/local/services.sh} (kafka-secure: SASL_SSL + SCRAM-SHA-512 on
 * 127.0.0.1:9094; opensearch-secure: HTTPS + basic auth on 127.0.0.1:9201), started when their port is closed,
 * and the client configuration that reaches them with the generated CA and passwords (by file, never inline).
 */
public final class SecureServices {

    public static final String KAFKA_BOOTSTRAP = "127.0.0.1:9094";
    public static final String OPENSEARCH_URL = "https://127.0.0.1:9201";
    public static final String USER = "streamrag";

    private SecureServices() {}

    public static synchronized void ensureKafka() {
        LocalServices.ensure("kafka-secure", 9094);
    }

    public static synchronized void ensureOpenSearch() {
        LocalServices.ensure("opensearch-secure", 9201);
    }

    /** The state folder services.sh uses: {@code STREAMRAG_STATE}, else {@code .state} in the repository. */
    public static Path state() {
        String state = System.getenv("STREAMRAG_STATE");
        return state != null && !state.isBlank() ? Path.of(state) : LocalServices.repositoryRoot().resolve(".state");
    }

    /** The file holding a generated password: kafka, opensearch, truststore, ... */
    public static Path secretFile(String name) {
        return state().resolve("secure/secrets/" + name + ".password");
    }

    public static String secret(String name) {
        try {
            return Files.readString(secretFile(name)).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every generated password (the clients', the broker's, the stores'): none may show up in logs or errors. */
    public static List<String> allSecrets() {
        return List.of(secret("kafka"), secret("kafka-broker"), secret("opensearch"), secret("truststore"),
                secret("server"), secret("ca"));
    }

    /** Fails if any generated password occurs in {@code text} (a log line, a stack trace, a REST response). */
    public static void assertNoSecret(String what, String text) {
        for (String secret : allSecrets()) {
            if (text != null && text.contains(secret)) {
                throw new AssertionError(what + " contains a password (" + secret.length() + " characters, not shown)");
            }
        }
    }

    /** {@link #assertNoSecret} over the message and stack trace of {@code error}. */
    public static void assertNoSecret(String what, Throwable error) {
        java.io.StringWriter trace = new java.io.StringWriter();
        error.printStackTrace(new java.io.PrintWriter(trace));
        assertNoSecret(what, trace.toString());
    }

    /**
     * The Flink REST views of a running job's configuration ({@code /jobs/<id>/config} and
     * {@code /jobs/<id>/jobmanager/config}), checked to hold no password; returns both bodies.
     */
    public static String assertJobConfigHasNoSecret(String restUrl, String jobId) throws Exception {
        StringBuilder bodies = new StringBuilder();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (String path : List.of("/jobs/" + jobId + "/config", "/jobs/" + jobId + "/jobmanager/config")) {
            java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(restUrl.replaceAll("/$", "") + path)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError(path + " answered " + response.statusCode());
            }
            assertNoSecret("REST " + path, response.body());
            bodies.append(response.body()).append('\n');
        }
        return bodies.toString();
    }

    public static Path tlsFile(String name) {
        return state().resolve("secure/tls/" + name);
    }

    /** Job/CLI options for the secured broker: SASL_SSL, SCRAM-SHA-512, the local CA's truststore. */
    public static Configuration kafkaClientConf() {
        Configuration conf = new Configuration();
        conf.setString("kafka.bootstrap-servers", KAFKA_BOOTSTRAP);
        conf.set(SecurityOptions.KAFKA_SECURITY_PROTOCOL, SecurityOptions.KafkaSecurityProtocol.SASL_SSL);
        conf.set(SecurityOptions.KAFKA_SASL_MECHANISM, SecurityOptions.SaslMechanism.SCRAM_SHA_512);
        conf.set(SecurityOptions.KAFKA_SASL_USERNAME, USER);
        conf.set(SecurityOptions.KAFKA_SASL_PASSWORD_FILE, secretFile("kafka").toString());
        conf.set(SecurityOptions.KAFKA_SSL_TRUSTSTORE_LOCATION, tlsFile("truststore.p12").toString());
        conf.set(SecurityOptions.KAFKA_SSL_TRUSTSTORE_PASSWORD_FILE, secretFile("truststore").toString());
        return conf;
    }

    /** Job/CLI options for the secured node: https, basic auth, the local CA as PEM. */
    public static Configuration openSearchClientConf() {
        Configuration conf = new Configuration();
        conf.setString("opensearch.url", OPENSEARCH_URL);
        conf.setString("opensearch.username", USER);
        conf.set(SecurityOptions.OPENSEARCH_PASSWORD_FILE, secretFile("opensearch").toString());
        conf.set(SecurityOptions.OPENSEARCH_CA_CERTIFICATE, tlsFile("ca.pem").toString());
        return conf;
    }

    /** Both of the above. */
    public static Configuration clientConf() {
        Configuration conf = kafkaClientConf();
        conf.addAll(openSearchClientConf());
        return conf;
    }
}
