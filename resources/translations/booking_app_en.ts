<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="ja_JP">
<context>
    <name>CalendarPage</name>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="971"/>
        <source>日</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="971"/>
        <source>週</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="971"/>
        <source>月</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="975"/>
        <source>日表示（部屋ごと）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="975"/>
        <source>週表示（1部屋の7日間）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="976"/>
        <source>月表示（日ごとの予約件数）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="982"/>
        <source>◀ 前へ</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="983"/>
        <source>今日</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="984"/>
        <source>次へ ▶</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="985"/>
        <source>今日の日付に戻ります（T）</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="1002"/>
        <source>部屋：</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="1160"/>
        <source>予約</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/calendar/calendar_views.py" line="1160"/>
        <source>予約の入力画面はまだ用意されていません。</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="62"/>
        <source>予約カレンダー</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="62"/>
        <source>本日の予約</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="63"/>
        <source>予約検索</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="63"/>
        <source>団体</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="63"/>
        <source>設定</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="72"/>
        <source>保険</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="72"/>
        <source>領収書</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="72"/>
        <source>統計</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="125"/>
        <source>この画面は準備中です</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="151"/>
        <source>ファイル(&amp;F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="152"/>
        <source>担当者の切り替え…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="156"/>
        <source>終了(&amp;X)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="161"/>
        <source>表示(&amp;V)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="162"/>
        <source>今日</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="167"/>
        <source>前日</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="170"/>
        <source>翌日</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="177"/>
        <source>ヘルプ(&amp;H)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="178"/>
        <location filename="../../booking_app/ui/main_window.py" line="194"/>
        <source>バージョン情報</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="190"/>
        <source>ふくふくデスク バージョン {version}
しものせき市民活動センター 受付業務システム</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="201"/>
        <source>クリックすると担当者を切り替えます</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="209"/>
        <source>データベース：{label}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/main_window.py" line="221"/>
        <source>担当者：{name}（{role}）</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StaffChooser</name>
    <message>
        <location filename="../../booking_app/ui/admin/staff_dialog.py" line="38"/>
        <source>担当者の選択</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/admin/staff_dialog.py" line="42"/>
        <source>受付を担当する職員を選んでください。</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/admin/staff_dialog.py" line="50"/>
        <source>この担当者で始める</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../booking_app/ui/admin/staff_dialog.py" line="51"/>
        <source>キャンセル</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
