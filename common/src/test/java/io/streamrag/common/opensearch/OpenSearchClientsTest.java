package io.streamrag.common.opensearch;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
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
}
