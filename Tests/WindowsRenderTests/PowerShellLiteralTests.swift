import Testing
import WindowsRender

@Suite struct PowerShellLiteralTests {
    @Test func doublesEverySingleQuoteCharacterPowerShellKnows() {
        #expect(PowerShellLiteral.quoted("plain") == "'plain'")
        #expect(PowerShellLiteral.quoted("it's") == "'it''s'")
        #expect(PowerShellLiteral.quoted("''") == "''''''")
        for quote in ["\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}"] {
            #expect(PowerShellLiteral.quoted("a\(quote)b") == "'a\(quote)\(quote)b'")
        }
        // Double quotes, $, backticks and ; mean nothing inside single quotes: left alone.
        #expect(PowerShellLiteral.quoted("\"$(x)`;\u{201C}") == "'\"$(x)`;\u{201C}'")
    }

    @Test func refusesControlCharactersLineBreaksAndNonASCII() {
        #expect(PowerShellLiteral.problem("vEthernet (LM) $x ` ; 'q'") == nil)
        #expect(PowerShellLiteral.problem("a\nb")?.contains("U+000A") == true)
        #expect(PowerShellLiteral.problem("a\rb")?.contains("U+000D") == true)
        #expect(PowerShellLiteral.problem("a\u{0}b")?.contains("control") == true)
        #expect(PowerShellLiteral.problem("a\u{7F}b")?.contains("control") == true)
        #expect(PowerShellLiteral.problem("a\u{2019}b")?.contains("U+2019") == true)
        #expect(PowerShellLiteral.problem("a\u{85}b") != nil)
        #expect(PowerShellLiteral.problem("a\u{2028}b") != nil)
    }

    @Test func arraysQuoteEachItem() {
        #expect(PowerShellLiteral.array([]) == "@()")
        #expect(PowerShellLiteral.array(["a", "b'c"]) == "@('a', 'b''c')")
    }
}
