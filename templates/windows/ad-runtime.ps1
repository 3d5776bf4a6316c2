# One writable domain controller per domain for the whole run, so every read sees the
# writes before it (another DC may not have them yet, and a stale read of the
# delegation list would write it back without them).
$script:Servers = @{}
function Get-MigfwServer {
    param([string]$Domain)
    $key = $Domain.ToLowerInvariant()
    if (-not $script:Servers.ContainsKey($key)) {
        $controller = Get-ADDomainController -Discover -DomainName $Domain -Writable
        $script:Servers[$key] = [string](@($controller.HostName)[0])
        Write-Host ('  domain ' + $Domain + ': domain controller ' + $script:Servers[$key])
    }
    return $script:Servers[$key]
}

# Account-wide findings are reported once, however many pairs the account is in.
$script:Reported = @{}

# Classic constrained delegation, set on the source's computer account: it may
# delegate to the destination's migration services ("use any authentication protocol",
# i.e. TrustedToAuthForDelegation; never unconstrained TrustedForDelegation).
function Grant-MigfwConstrainedDelegation {
    param([string]$Source, [string]$SourceDomain, [string]$Destination, [string[]]$Service)
    $server = Get-MigfwServer $SourceDomain
    $account = Get-ADComputer -Identity $Source -Server $server -Properties 'msDS-AllowedToDelegateTo', 'TrustedToAuthForDelegation', 'TrustedForDelegation'
    $subject = $Source + ' (' + $SourceDomain + ') -> ' + $Destination
    $have = @($account.'msDS-AllowedToDelegateTo' | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
    $missing = @($Service | Where-Object { $have -notcontains $_ })
    if ($missing.Count -gt 0) {
        Write-MigfwDifference $subject ('may not delegate to ' + ($missing -join ', ') + ': add to msDS-AllowedToDelegateTo')
        if (Approve-MigfwChange $Source ('Add msDS-AllowedToDelegateTo ' + ($missing -join ', '))) {
            Set-ADComputer -Identity $account -Server $server -Add @{ 'msDS-AllowedToDelegateTo' = [string[]]$missing } -Confirm:$false
        }
    }
    $key = ($Source + '@' + $SourceDomain).ToLowerInvariant()
    if ($script:Reported.ContainsKey($key)) { return }
    $script:Reported[$key] = $true
    if ($account.TrustedToAuthForDelegation -ne $true) {
        Write-MigfwDifference ($Source + ' (' + $SourceDomain + ')') 'not trusted to authenticate for delegation (any authentication protocol): set it'
        if (Approve-MigfwChange $Source 'Set-ADAccountControl -TrustedToAuthForDelegation $true') {
            Set-ADAccountControl -Identity $account -Server $server -TrustedToAuthForDelegation $true -Confirm:$false
        }
    }
    if ($account.TrustedForDelegation -eq $true) {
        Write-Warning ($Source + ' is trusted for unconstrained delegation (TrustedForDelegation); migfw neither needs nor changes it')
    }
}

# Resource-based constrained delegation, set on the destination's computer account: the
# only Kerberos delegation that crosses domains and forests. The attribute holds every
# principal allowed; the source is added to them, none is ever dropped.
function Grant-MigfwResourceDelegation {
    param([string]$Source, [string]$SourceDomain, [string]$Destination, [string]$DestinationDomain)
    $sourceAccount = Get-ADComputer -Identity $Source -Server (Get-MigfwServer $SourceDomain)
    $server = Get-MigfwServer $DestinationDomain
    $account = Get-ADComputer -Identity $Destination -Server $server -Properties 'PrincipalsAllowedToDelegateToAccount', 'msDS-AllowedToActOnBehalfOfOtherIdentity'
    $subject = $Source + ' (' + $SourceDomain + ') -> ' + $Destination + ' (' + $DestinationDomain + ')'
    $allowed = @()
    $descriptor = $account.'msDS-AllowedToActOnBehalfOfOtherIdentity'
    if ($null -ne $descriptor) {
        $allowed = @($descriptor.GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier]) |
            Where-Object { [string]$_.AccessControlType -eq 'Allow' } |
            ForEach-Object { $_.IdentityReference.Value })
    }
    if ($allowed -contains $sourceAccount.SID.Value) { return }
    $present = @($account.PrincipalsAllowedToDelegateToAccount | Where-Object { $null -ne $_ })
    Write-MigfwDifference $subject ('the destination does not accept delegation from ' + $Source + ': add it to PrincipalsAllowedToDelegateToAccount (keeping the ' + $present.Count + ' present)')
    if (Approve-MigfwChange $Destination ('Set-ADComputer -PrincipalsAllowedToDelegateToAccount (+ ' + $Source + ')')) {
        $principals = @($present + $sourceAccount)
        Set-ADComputer -Identity $account -Server $server -PrincipalsAllowedToDelegateToAccount $principals -Confirm:$false
    }
}
