/// The PowerShell functions of the Active Directory script: Kerberos delegation between
/// trusted hosts, only ever adding what is missing.
enum ADScriptRuntime {
    static let text = #"""

        # Classic constrained delegation, set on the source's computer account: it may
        # delegate to the destination's migration services ("use any authentication protocol",
        # i.e. TrustedToAuthForDelegation; never unconstrained TrustedForDelegation).
        function Grant-MigfwConstrainedDelegation {
            param([string]$Source, [string]$SourceDomain, [string]$Destination, [string[]]$Service)
            $account = Get-ADComputer -Identity $Source -Server $SourceDomain -Properties 'msDS-AllowedToDelegateTo', 'TrustedToAuthForDelegation', 'TrustedForDelegation'
            $subject = $Source + ' (' + $SourceDomain + ') -> ' + $Destination
            $have = @($account.'msDS-AllowedToDelegateTo' | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
            $missing = @($Service | Where-Object { $have -notcontains $_ })
            if ($missing.Count -gt 0) {
                Write-MigfwDifference $subject ('may not delegate to ' + ($missing -join ', ') + ': add to msDS-AllowedToDelegateTo')
                if (Approve-MigfwChange $Source ('Add msDS-AllowedToDelegateTo ' + ($missing -join ', '))) {
                    Set-ADComputer -Identity $account -Server $SourceDomain -Add @{ 'msDS-AllowedToDelegateTo' = [string[]]$missing } -Confirm:$false
                }
            }
            if ($account.TrustedToAuthForDelegation -ne $true) {
                Write-MigfwDifference ($Source + ' (' + $SourceDomain + ')') 'not trusted to authenticate for delegation (any authentication protocol): set it'
                if (Approve-MigfwChange $Source 'Set-ADAccountControl -TrustedToAuthForDelegation $true') {
                    Set-ADAccountControl -Identity $account -Server $SourceDomain -TrustedToAuthForDelegation $true -Confirm:$false
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
            $sourceAccount = Get-ADComputer -Identity $Source -Server $SourceDomain
            $account = Get-ADComputer -Identity $Destination -Server $DestinationDomain -Properties 'PrincipalsAllowedToDelegateToAccount', 'msDS-AllowedToActOnBehalfOfOtherIdentity'
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
                Set-ADComputer -Identity $account -Server $DestinationDomain -PrincipalsAllowedToDelegateToAccount $principals -Confirm:$false
            }
        }

        """#
}
