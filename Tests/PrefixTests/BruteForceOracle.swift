@testable import Prefix

/// The exact answer for prefixes inside one 256-address window (a /24 or a /120), computed
/// address by address: the reference the aggregator is checked against.
struct WindowOracle<A: IPAddress> {
    let base: A.Bits
    private(set) var member = [Bool](repeating: false, count: 256)

    init(base: A.Bits) { self.base = base }

    private func offsets(of cidr: CIDR<A>) -> Range<Int> {
        let first = Int(cidr.first.bits - base)
        return first..<(first + (1 << (A.bitWidth - cidr.length)))
    }
    mutating func include(_ cidr: CIDR<A>) { for offset in offsets(of: cidr) { member[offset] = true } }
    mutating func exclude(_ cidr: CIDR<A>) { for offset in offsets(of: cidr) { member[offset] = false } }

    /// Maximal runs of member addresses.
    var ranges: [AddressRange<A>] {
        var result: [AddressRange<A>] = []
        var start: Int? = nil
        for offset in 0...256 {
            let inside = offset < 256 && member[offset]
            if inside && start == nil { start = offset }
            if !inside, let first = start {
                result.append(AddressRange(lower: A(bits: base + A.Bits(first)), upper: A(bits: base + A.Bits(offset - 1)))!)
                start = nil
            }
        }
        return result
    }

    /// The minimal CIDR cover: every aligned block that lies inside the set while its parent
    /// block does not (the window itself has no parent here).
    var cidrs: [CIDR<A>] {
        var result: [CIDR<A>] = []
        for hostBits in 0...8 {
            let size = 1 << hostBits
            for first in stride(from: 0, to: 256, by: size) where member[first..<(first + size)].allSatisfy({ $0 }) {
                if hostBits < 8 {
                    let parent = first & ~(2 * size - 1)
                    if member[parent..<(parent + 2 * size)].allSatisfy({ $0 }) { continue }
                }
                result.append(CIDR(address: A(bits: base + A.Bits(first)), length: A.bitWidth - hostBits)!)
            }
        }
        return result.sorted()
    }

    /// A random prefix inside the window, mostly long ones.
    static func randomPrefix(base: A.Bits, using generator: inout SeededGenerator) -> CIDR<A> {
        let hostBits = [0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8].randomElement(using: &generator)!
        let offset = Int.random(in: 0..<256, using: &generator) & ~((1 << hostBits) - 1)
        return CIDR(address: A(bits: base + A.Bits(offset)), length: A.bitWidth - hostBits)!
    }

    /// A window base: often the first or last window of the family, where overflow lurks.
    static func randomBase(using generator: inout SeededGenerator) -> A.Bits {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0: return 0
        case 1: return ~A.Bits(0xff)
        default:
            let high = A.Bits(truncatingIfNeeded: generator.next())
            let low = A.Bits(truncatingIfNeeded: generator.next())
            return (A.bitWidth > 64 ? high << 64 | low : low) & ~A.Bits(0xff)
        }
    }
}

/// Checks that `ranges` are sorted, disjoint, and non-adjacent (a gap between neighbours).
func isNormalised<A: IPAddress>(_ ranges: [AddressRange<A>]) -> Bool {
    for (left, right) in zip(ranges, ranges.dropFirst()) {
        guard left.lower <= left.upper, left.upper.bits < right.lower.bits,
              right.lower.bits - left.upper.bits >= 2 else { return false }
    }
    return true
}

/// Checks that no two prefixes overlap and no two are the halves of one larger prefix.
func isMinimalCover<A: IPAddress>(_ cidrs: [CIDR<A>]) -> Bool {
    for (left, right) in zip(cidrs, cidrs.dropFirst()) where left.last.bits >= right.first.bits { return false }
    let present = Set(cidrs)
    for cidr in cidrs where cidr.length > 0 {
        let siblingBits = cidr.address.bits ^ (A.Bits(1) << (A.bitWidth - cidr.length))
        if present.contains(CIDR(address: A(bits: siblingBits), length: cidr.length)!) { return false }
    }
    return true
}
