package io.streamrag.common.net;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoopbackProxyTest {

    @Test
    void forwardsRefusesHangsAndComesBack() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                while (!echo.isClosed()) {
                    try {
                        Socket s = echo.accept();
                        new Thread(() -> {
                            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                                in.transferTo(out);
                            } catch (IOException ignored) {
                                // client went away
                            }
                        }).start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            server.setDaemon(true);
            server.start();

            try (LoopbackProxy proxy = LoopbackProxy.start(echo.getLocalPort())) {
                assertThat(roundTrip(proxy.port())).isEqualTo("ping");

                proxy.mode(LoopbackProxy.Mode.DOWN);
                assertThatThrownBy(() -> roundTrip(proxy.port())).isInstanceOf(IOException.class);

                proxy.mode(LoopbackProxy.Mode.HANG);
                assertThatThrownBy(() -> roundTrip(proxy.port())).isInstanceOf(SocketTimeoutException.class);

                proxy.mode(LoopbackProxy.Mode.UP);
                assertThat(roundTrip(proxy.port())).isEqualTo("ping");
            }
        }
    }

    @Test
    void refusesNonLoopbackTargets() {
        assertThatThrownBy(() -> LoopbackProxy.start(InetSocketAddress.createUnresolved("example.org", 80), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static String roundTrip(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1_000);
            socket.setSoTimeout(1_000);
            socket.getOutputStream().write("ping".getBytes());
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes());
        }
    }
}
