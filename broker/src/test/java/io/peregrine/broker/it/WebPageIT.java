package io.peregrine.broker.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.peregrine.loop.Broker;
import io.peregrine.loop.Context;
import io.peregrine.loop.IdleMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The read-only web page on the metrics helper, in a real headless browser (Debian's chromium, driven through its
 * chromedriver by Selenium): it loads, shows a queue the test created, its rates move while the test publishes, the
 * latency plots draw, and a queue name that is markup stays text. CI installs chromium and chromium-driver and sets
 * PEREGRINE_REQUIRE_BROWSER=1, so there the test cannot be skipped.
 */
class WebPageIT
{
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    /** Selenium looks for DevTools bindings it does not need here and warns about each browser version. */
    private static final java.util.logging.Logger CDP_FINDER =
        java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    @TempDir
    Path data;

    private static WebDriver browser(final Path profile)
    {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER))
        {
            if ("1".equals(System.getenv("PEREGRINE_REQUIRE_BROWSER")))
            {
                fail("PEREGRINE_REQUIRE_BROWSER=1 but " + CHROMIUM + " or " + CHROMEDRIVER + " is missing " +
                    "(apt-get install chromium chromium-driver)");
            }
            assumeTrue(false, "no chromium and chromedriver here");
        }
        CDP_FINDER.setLevel(java.util.logging.Level.OFF);
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // As the machine's own browser check runs it: no sandbox as root, and nothing that reaches the network.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile);
        final ChromeDriverService service = new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    @Test
    void shouldShowQueuesConnectionsAndMovingRatesInABrowser(@TempDir final Path profile) throws Exception
    {
        final Context context = new Context().listeners(List.of(URI.create("tcp://127.0.0.1:0")))
            .idleMode(IdleMode.YIELDING).dataDir(data).metricsListener(new InetSocketAddress("127.0.0.1", 0));
        final WebDriver browser = browser(profile);
        final AtomicBoolean publishing = new AtomicBoolean(true);
        try (Broker broker = Broker.launch(context))
        {
            final String address = broker.boundAddresses().get(0);
            final ConnectionFactory factory = new ConnectionFactory();
            factory.setPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
            try (Connection connection = factory.newConnection("web-page-test"))
            {
                final Channel channel = connection.createChannel();
                channel.queueDeclare("web-orders", false, false, false, null);
                channel.queueDeclare("<img src=x onerror=alert(1)>", false, false, false, null);

                browser.get("http://127.0.0.1:" + broker.metricsAddress().getPort() + "/");
                assertEquals("Peregrine", browser.getTitle());
                final WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(15));
                // The page redraws its tables each second: an element found may be replaced before it is read.
                wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
                // The first sample has no rate yet: "collecting…", not a zero that reads as an idle broker.
                final WebDriverWait quick = new WebDriverWait(browser, Duration.ofSeconds(15), Duration.ofMillis(20));
                quick.until(b -> !"–".equals(b.findElement(By.id("publish-rate")).getText()));
                assertEquals("collecting…", browser.findElement(By.id("publish-rate")).getText());
                wait.until(b -> first(b, "#queues tr[data-queue='web-orders']"));
                // The connection shows the name its client gave it (connection_name), as ctl lists it.
                wait.until(b -> "web-page-test".equals(b.findElement(By.cssSelector("#connections td.client"))
                    .getText()));
                // Nothing published yet: the rate shows 0.
                wait.until(b -> number(b, "#queues tr[data-queue='web-orders'] td.enqueue-rate") == 0);
                assertTrue(browser.findElements(By.cssSelector("#queues img")).isEmpty(), "a name is only text");
                assertTrue(browser.findElement(By.id("queues")).getText().contains("<img src=x onerror=alert(1)>"));

                final Thread publisher = Thread.ofPlatform().start(() ->
                {
                    try
                    {
                        final Channel out = connection.createChannel();
                        while (publishing.get())
                        {
                            for (int i = 0; i < 50; i++)
                            {
                                out.basicPublish("", "web-orders", null, new byte[] {1, 2, 3});
                            }
                            channel.basicGet("web-orders", true);
                            Thread.sleep(10);
                        }
                    }
                    catch (final Exception e)
                    {
                        publishing.set(false);
                    }
                });
                try
                {
                    wait.until(b -> positive(b, "#queues tr[data-queue='web-orders'] td.enqueue-rate"));
                    wait.until(b -> positive(b, "#queues tr[data-queue='web-orders'] td.depth"));
                    wait.until(b -> positive(b, "#publish-rate"));
                    wait.until(b -> positive(b, "#connections tr[data-connection] td.publish-rate"));
                    final long firstDepth = number(browser, "#queues tr[data-queue='web-orders'] td.depth");
                    wait.until(b -> number(b, "#queues tr[data-queue='web-orders'] td.depth") > firstDepth);
                    assertTrue(publishing.get(), "the publisher kept going");
                }
                finally
                {
                    publishing.set(false);
                    publisher.join(5000);
                }
                wait.until(b -> Integer.parseInt(b.findElement(By.id("residence-plot")).getDomAttribute(
                    "data-points")) >= 3);
                assertTrue(browser.findElement(By.id("residence-legend")).getText().contains("p99"));
                assertFalse(browser.findElement(By.id("status")).getText().contains("cannot"),
                    browser.findElement(By.id("status")).getText());
                assertEquals("none", browser.findElement(By.id("alarms")).getText());
            }
        }
        finally
        {
            browser.quit();
        }
    }

    @Test
    void shouldShowEachClusterNodesPlaceOnItsPage(@TempDir final Path profile) throws Exception
    {
        final WebDriver browser = browser(profile);
        try (ClusterProcesses cluster = new ClusterProcesses(data, 3))
        {
            cluster.startAll();
            final int[] found = {-1};
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> (found[0] = cluster.leader(-1)) >= 0);
            final int leader = found[0];
            final WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            browser.get(cluster.metricsUrl(leader) + "/");
            final int leads = leader;
            wait.until(b -> b.findElement(By.id("cluster")).getText().startsWith("member " + leads + ", leader"));
            // A follower runs no event loop, and its page still says where it stands.
            final int follower = (leader + 1) % 3;
            browser.get(cluster.metricsUrl(follower) + "/");
            wait.until(b -> b.findElement(By.id("cluster")).getText().startsWith("member " + follower +
                ", follower, term"));
            assertTrue(browser.findElement(By.id("cluster")).getText().contains("leader " + leads),
                browser.findElement(By.id("cluster")).getText());
        }
        finally
        {
            browser.quit();
        }
    }

    private static WebElement first(final WebDriver browser, final String css)
    {
        final List<WebElement> found = browser.findElements(By.cssSelector(css));
        return found.isEmpty() ? null : found.get(0);
    }

    private static long number(final WebDriver browser, final String css)
    {
        final WebElement element = first(browser, css);
        if (null == element)
        {
            return -1;
        }
        final String text = element.getText().replace(",", "");
        return text.matches("\\d+") ? Long.parseLong(text) : -1;
    }

    private static boolean positive(final WebDriver browser, final String css)
    {
        return number(browser, css) > 0;
    }
}
