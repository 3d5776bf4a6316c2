# Every difference is reported here; -Check only counts it.
function Write-MigfwDifference {
    param([string]$Subject, [string]$Detail)
    Write-Host ('  ~ ' + $Subject + ': ' + $Detail)
}

# The one gate in front of every change: nothing under -Check; under -WhatIf or a
# declined -Confirm, ShouldProcess says no and the change stays pending.
function Approve-MigfwChange {
    param([string]$Target, [string]$Action)
    if ($Check) {
        $script:Pending++
        return $false
    }
    if ($script:MigfwCmdlet.ShouldProcess($Target, $Action)) {
        $script:Changed++
        return $true
    }
    $script:Pending++
    return $false
}
