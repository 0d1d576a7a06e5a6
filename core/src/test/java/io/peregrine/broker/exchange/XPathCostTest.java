package io.peregrine.broker.exchange;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class XPathCostTest
{
    @Test
    void shouldAcceptExpressionsWhoseCostIsLinearInTheDocument()
    {
        for (final String linear : new String[] {
            "/order/quantity > 100",
            "/order/symbol = 'IBM' and $region = 'emea'",
            "count(//*) > 10",
            "//trade[price > 100 and @side = 'buy']",
            "//a//b",
            "/order[item/qty > 2]/id",
            "//*[*[*]]",
            "//x[contains(., '//not a path[..]')]",
            "//x[self::x and @id]",
            "/order[$region = 'emea']"})
        {
            assertNull(XPathCost.check(linear), linear);
        }
    }

    @Test
    void shouldRefuseDocumentWideWorkInsidePredicates()
    {
        for (final String costly : new String[] {
            "count(//*[count(//*[count(//*)>0])>0])>0",
            "//a[//b]",
            "//a[/order/b = 1]",
            "//a[count(/order/b) > 1]",
            "//a[.//b]",
            "//a[../b]",
            "//a[descendant::b]",
            "//a[ancestor :: b]",
            "//a[following-sibling::b]",
            "//a[preceding::b]",
            "//a[parent::b]"})
        {
            assertNotNull(XPathCost.check(costly), costly);
        }
    }
}
