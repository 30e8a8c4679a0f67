package io.streamrag.common.opensearch;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.security.Secrets;
import io.streamrag.common.security.SecurityOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/**
 * How to reach OpenSearch as configured: secrets only by the file or variable that holds them, so an operator can carry
 * it in the job graph and read the password where it runs ({@link OpenSearchClients#create(OpenSearchConnection)}).
 */
public record OpenSearchConnection(String url, String username, String passwordFile, String passwordEnv,
                                   String caCertificate, String truststoreLocation, String truststoreType,
                                   String truststorePasswordFile, String truststorePasswordEnv, boolean verifyHostname)
        implements Serializable {

    /** The connection options of {@code conf}; a secret in the configuration itself is refused. */
    public static OpenSearchConnection from(Configuration conf) {
        Secrets.rejectInline(conf);
        return new OpenSearchConnection(conf.get(StreamRagOptions.OPENSEARCH_URL),
                conf.get(StreamRagOptions.OPENSEARCH_USERNAME), conf.get(SecurityOptions.OPENSEARCH_PASSWORD_FILE),
                conf.get(StreamRagOptions.OPENSEARCH_PASSWORD_ENV), conf.get(SecurityOptions.OPENSEARCH_CA_CERTIFICATE),
                conf.get(SecurityOptions.OPENSEARCH_TRUSTSTORE_LOCATION), conf.get(SecurityOptions.OPENSEARCH_TRUSTSTORE_TYPE),
                conf.get(SecurityOptions.OPENSEARCH_TRUSTSTORE_PASSWORD_FILE),
                conf.get(SecurityOptions.OPENSEARCH_TRUSTSTORE_PASSWORD_ENV), conf.get(SecurityOptions.OPENSEARCH_VERIFY_HOSTNAME));
    }
}
