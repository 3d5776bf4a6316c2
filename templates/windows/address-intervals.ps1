# The prefix length of each IPv4 dotted mask, by its text (255.255.255.0 -> 24).
$script:MaskLengths = @{}
for ($length = 0; $length -le 32; $length++) {
    $bits = [uint64]0
    if ($length -gt 0) { $bits = ([uint64]4294967295 -shl (32 - $length)) -band [uint64]4294967295 }
    $bytes = [byte[]]@((($bits -shr 24) -band 255), (($bits -shr 16) -band 255), (($bits -shr 8) -band 255), ($bits -band 255))
    $script:MaskLengths[([System.Net.IPAddress]::new($bytes)).ToString()] = $length
}

# An address as @{ Family = 4 or 6; Value = BigInteger }, or $null when it is none.
function ConvertFrom-MigfwAddress {
    param([string]$Text)
    $address = $null
    if ($Text -notmatch '^[0-9A-Fa-f:.]+$') { return $null }
    if (-not [System.Net.IPAddress]::TryParse($Text, [ref]$address)) { return $null }
    $family = 6
    if ($address.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetwork) {
        if ($Text -notmatch '^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$') { return $null }
        $family = 4
    }
    $bytes = $address.GetAddressBytes()
    [array]::Reverse($bytes)
    $value = [System.Numerics.BigInteger]::new([byte[]]($bytes + [byte]0))
    return @{ Family = $family; Value = $value }
}

# One entry (a, a/len, a/dotted-mask, a-b) as @{ Family; First; Last }; keywords
# such as Any or LocalSubnet as @{ Family = 0; Keyword = lower-case text }.
function ConvertFrom-MigfwAddressEntry {
    param([string]$Entry)
    $text = $Entry.Trim()
    $dash = $text.IndexOf('-')
    if ($dash -gt 0) {
        $first = ConvertFrom-MigfwAddress $text.Substring(0, $dash)
        $last = ConvertFrom-MigfwAddress $text.Substring($dash + 1)
        if ($null -ne $first -and $null -ne $last -and $first.Family -eq $last.Family -and $first.Value -le $last.Value) {
            return @{ Family = $first.Family; First = $first.Value; Last = $last.Value }
        }
        return @{ Family = 0; Keyword = $text.ToLowerInvariant() }
    }
    $slash = $text.IndexOf('/')
    $addressText = $text
    if ($slash -gt 0) { $addressText = $text.Substring(0, $slash) }
    $address = ConvertFrom-MigfwAddress $addressText
    if ($null -eq $address) { return @{ Family = 0; Keyword = $text.ToLowerInvariant() } }
    if ($slash -le 0) { return @{ Family = $address.Family; First = $address.Value; Last = $address.Value } }
    $width = 128
    if ($address.Family -eq 4) { $width = 32 }
    $maskText = $text.Substring($slash + 1)
    $length = -1
    if ($maskText -match '^\d{1,3}$') {
        $length = [int]$maskText
    }
    elseif ($address.Family -eq 4 -and $script:MaskLengths.ContainsKey($maskText)) {
        $length = $script:MaskLengths[$maskText]
    }
    if ($length -lt 0 -or $length -gt $width) { return @{ Family = 0; Keyword = $text.ToLowerInvariant() } }
    $size = [System.Numerics.BigInteger]::Pow(2, $width - $length)
    $first = [System.Numerics.BigInteger]::Subtract($address.Value, [System.Numerics.BigInteger]::Remainder($address.Value, $size))
    $last = [System.Numerics.BigInteger]::Subtract([System.Numerics.BigInteger]::Add($first, $size), 1)
    return @{ Family = $address.Family; First = $first; Last = $last }
}

# The canonical text of a list of entries: the union of their intervals per family,
# merged, sorted, plus any keywords. Equal texts mean equal address sets.
function Get-MigfwAddressKey {
    param([object[]]$Entries)
    $intervals = New-Object System.Collections.ArrayList
    $keywords = New-Object System.Collections.ArrayList
    foreach ($entry in @($Entries)) {
        if ($null -eq $entry) { continue }
        $parsed = ConvertFrom-MigfwAddressEntry ([string]$entry)
        if ($parsed.Family -eq 0) { [void]$keywords.Add($parsed.Keyword) }
        else { [void]$intervals.Add([pscustomobject]$parsed) }
    }
    $parts = New-Object System.Collections.ArrayList
    $sorted = @($intervals | Sort-Object -Property @{ Expression = { $_.Family } }, @{ Expression = { $_.First } })
    $current = $null
    foreach ($interval in $sorted) {
        if ($null -ne $current -and $current.Family -eq $interval.Family -and
            $interval.First -le [System.Numerics.BigInteger]::Add($current.Last, 1)) {
            if ($interval.Last -gt $current.Last) { $current.Last = $interval.Last }
            continue
        }
        if ($null -ne $current) { [void]$parts.Add(('{0}:{1}-{2}' -f $current.Family, $current.First, $current.Last)) }
        $current = [pscustomobject]@{ Family = $interval.Family; First = $interval.First; Last = $interval.Last }
    }
    if ($null -ne $current) { [void]$parts.Add(('{0}:{1}-{2}' -f $current.Family, $current.First, $current.Last)) }
    foreach ($keyword in @($keywords | Sort-Object -Unique)) { [void]$parts.Add('k:' + $keyword) }
    return ($parts -join ',')
}
